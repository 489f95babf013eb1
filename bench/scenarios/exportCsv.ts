// Export: GET /exports/events.csv read to the end and thrown away, with the service's resident memory sampled
// throughout: an export that streams holds one page of events, not the journal.
import { streamToNowhere, type Streamed } from '../http.js';
import { memoryOf, round1, sampleRss } from '../procfs.js';
import { authorization, type RunningService } from '../service.js';

export interface ExportFigure {
  readonly rows: number;
  readonly megabytes: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly rssBeforeMb: number;
  readonly rssMaxMb: number;
  /** Highest sample during the export minus the resident set before it. */
  readonly rssGrowthMb: number;
}

export async function measureExport(service: RunningService, log: (line: string) => void): Promise<ExportFigure> {
  log('export GET /exports/events.csv');
  const before = memoryOf(service.pid).rssMb;
  const sampler = sampleRss(service.pid, 100);
  const streamed = await exportOnce(service).finally(() => sampler.stop());
  const { maxRssMb } = sampler.stop();
  const rows = Math.max(0, streamed.lines - 1); // the header
  return {
    rows,
    megabytes: round1(streamed.bytes / 1024 / 1024),
    seconds: Math.round(streamed.seconds * 1000) / 1000,
    rowsPerSecond: Math.round(rows / streamed.seconds),
    rssBeforeMb: before,
    rssMaxMb: maxRssMb,
    rssGrowthMb: round1(Math.max(0, maxRssMb - before)),
  };
}

/** A 503 (still overloaded after an earlier scenario) is retried a few times; anything else but 200 stops the run. */
async function exportOnce(service: RunningService): Promise<Streamed> {
  for (let attempt = 1; ; attempt += 1) {
    const streamed = await streamToNowhere(`${service.baseUrl}/exports/events.csv`, authorization(service));
    if (streamed.status === 200) return streamed;
    if (streamed.status !== 503 || attempt === 20) throw new Error(`GET /exports/events.csv answered ${streamed.status}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
