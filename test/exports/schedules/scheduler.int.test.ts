// Scheduled exports in a running ledger: files and manifests, no temp files, retention, no overlap, failures, clean stop.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { liveSources } from '../../../src/exports/live.js';
import { parseExportSchedules } from '../../../src/exports/schedules/config.js';
import type { ExportManifest } from '../../../src/exports/schedules/run.js';
import { ExportScheduler } from '../../../src/exports/schedules/scheduler.js';
import { openScheduleStore } from '../../../src/exports/schedules/store.js';
import type { EventStore } from '../../../src/store/port.js';
import { clientOf, type LedgerUnderTest } from '../../support/ledger.js';
import { aLedgerWithTheRealAnnouncements } from '../../support/scenarios.js';
import { rowsOf } from '../support.js';
import { sleep, until } from '../../support/until.js';

const RUN_FILE = /^(?<name>[a-z-]+)-(?<stamp>\d{8}T\d{6}Z)-(?<position>\d+)\.csv$/;

function aDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scheduled-exports-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Log lines as objects, to see what the scheduler reported. */
function aLog() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    }),
  );
  return { logger, lines };
}

interface StoreControl {
  /** Milliseconds to wait before handing out each event of a global read. */
  delayMs: number;
  /** Fail a global read after this many events. */
  failAfter: number | undefined;
  active: number;
  maxActive: number;
}

/** The ledger's store, with global reads slowed or broken on demand, counting how many run at once. */
function controlledStore(store: EventStore, control: StoreControl): EventStore {
  return {
    append: (...args) => store.append(...args),
    readStream: (...args) => store.readStream(...args),
    subscribeToAll: (...args) => store.subscribeToAll(...args),
    headPosition: () => store.headPosition(),
    close: () => store.close(),
    async *readAll(options) {
      control.active += 1;
      control.maxActive = Math.max(control.maxActive, control.active);
      try {
        let handed = 0;
        for await (const event of store.readAll(options)) {
          if (control.failAfter !== undefined && handed >= control.failAfter) throw new Error('the event store went away mid-export');
          if (control.delayMs > 0) await sleep(control.delayMs);
          handed += 1;
          yield event;
        }
      } finally {
        control.active -= 1;
      }
    },
  };
}

/** Slots and results go to a store of their own, as the ledger keeps them on the embedded store. */
function startScheduler(ledger: LedgerUnderTest, schedules: unknown[], options: { store?: EventStore; logger?: pino.Logger } = {}) {
  const scheduler = new ExportScheduler(
    parseExportSchedules(schedules, ledger.dataDir),
    liveSources(options.store ?? ledger.ledger.context.store, ledger.ledger.context.projections),
    options.logger ?? pino({ level: 'silent' }),
    {
      store: () =>
        openScheduleStore({ eventStore: 'embedded', dataDir: aDirectory() }, pino({ level: 'silent' }), ledger.ledger.context.store),
    },
  );
  scheduler.start();
  onTestFinished(() => scheduler.stop());
  return scheduler;
}

/** Complete runs: the manifest is renamed into place last, so a csv alone is a run still finishing. */
function runsIn(directory: string) {
  const files = readdirSync(directory);
  return files
    .filter((file) => RUN_FILE.test(file) && files.includes(file.replace(/\.csv$/, '.json')))
    .sort()
    .map((file) => {
      const base = file.slice(0, -'.csv'.length);
      const manifest = JSON.parse(readFileSync(join(directory, `${base}.json`), 'utf8')) as ExportManifest;
      return { file, base, manifest, bytes: readFileSync(join(directory, file)), match: RUN_FILE.exec(file)!.groups! };
    });
}

const tempFilesIn = (directory: string) => readdirSync(directory).filter((file) => file.endsWith('.tmp'));

describe('scheduled exports', () => {
  it('write, every second, a csv and beside it a manifest whose rows and sha256 are those of the file', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const directory = aDirectory();
    const scheduler = startScheduler(ledger, [
      {
        name: 'by-country',
        cron: '*/1 * * * * *',
        kind: 'totals',
        options: { groupBy: ['country', 'year'], currency: 'EUR' },
        directory,
        keep: 10,
      },
    ]);

    await until('two runs', () => runsIn(directory).length >= 2 && true);
    await scheduler.stop();
    const runs = runsIn(directory);
    const expected = await clientOf(ledger).get('/exports/totals.csv?groupBy=country,year&currency=EUR');

    for (const run of runs) {
      expect(run.match.name).toBe('by-country');
      expect(run.match.position).toBe('4');
      expect(run.manifest.position).toBe('4');
      expect(run.manifest.sha256).toBe(createHash('sha256').update(run.bytes).digest('hex'));
      expect(run.manifest.rows).toBe(rowsOf(run.bytes.toString('utf8')).length);
      expect(run.manifest.rows).toBe(2);
      expect(Object.keys(run.manifest).sort()).toEqual(['durationMs', 'position', 'rows', 'sha256', 'startedAt']);
      expect(run.match.stamp).toBe(run.manifest.startedAt.replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, ''));
      expect(run.bytes.toString('utf8')).toBe(expected.text);
    }
    expect(readdirSync(directory)).toHaveLength(runs.length * 2);
    expect(tempFilesIn(directory)).toEqual([]);
  });

  it('keep only the newest `keep` runs, csv and manifest together', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const directory = aDirectory();
    writeFileSync(join(directory, 'unrelated.csv'), 'kept\r\n');
    const scheduler = startScheduler(ledger, [{ name: 'journal', cron: '*/1 * * * * *', kind: 'events', directory, keep: 2 }]);
    const stamps = new Set<string>();

    await until('four runs', () => {
      for (const run of runsIn(directory)) stamps.add(run.match.stamp!);
      return stamps.size >= 4;
    });
    await scheduler.stop();
    const runs = runsIn(directory);

    expect(runs).toHaveLength(2);
    expect(runs.map((run) => run.match.stamp)).toEqual([...stamps].sort().slice(-2));
    expect(readdirSync(directory).sort()).toEqual([...runs.flatMap((run) => [run.file, `${run.base}.json`]), 'unrelated.csv'].sort());
  });

  it('never overlap: a run slower than the interval makes the scheduler skip slots', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const directory = aDirectory();
    const control: StoreControl = { delayMs: 400, failAfter: undefined, active: 0, maxActive: 0 };
    const { logger, lines } = aLog();
    const scheduler = startScheduler(ledger, [{ name: 'slow-journal', cron: '*/1 * * * * *', kind: 'events', directory, keep: 10 }], {
      store: controlledStore(ledger.ledger.context.store, control),
      logger,
    });

    await until('three slow runs', () => runsIn(directory).length >= 3 && true, 20_000);
    await scheduler.stop();
    const intervals = runsIn(directory)
      .map((run) => ({ start: Date.parse(run.manifest.startedAt), end: Date.parse(run.manifest.startedAt) + run.manifest.durationMs }))
      .sort((a, b) => a.start - b.start);

    expect(control.maxActive).toBe(1);
    for (const [index, run] of intervals.entries()) {
      expect(run.end - run.start).toBeGreaterThan(1_000);
      if (index > 0) expect(run.start).toBeGreaterThanOrEqual(intervals[index - 1]!.end);
    }
    expect(lines.some((line) => line.msg === 'scheduled export still running; this slot is skipped')).toBe(true);
  });

  it('leave no partial file when a run fails midway, log it, and succeed at the next slot', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const directory = aDirectory();
    const control: StoreControl = { delayMs: 0, failAfter: 2, active: 0, maxActive: 0 };
    const { logger, lines } = aLog();
    const scheduler = startScheduler(ledger, [{ name: 'journal', cron: '*/1 * * * * *', kind: 'events', directory, keep: 5 }], {
      store: controlledStore(ledger.ledger.context.store, control),
      logger,
    });

    const failed = await until('a failed run', async () => {
      const last = (await scheduler.list())[0]?.lastRun;
      return last?.status === 'failed' ? last : undefined;
    });

    expect(failed).toMatchObject({ file: null, error: 'the event store went away mid-export' });
    expect(readdirSync(directory)).toEqual([]);
    expect(lines.find((line) => line.msg === 'scheduled export failed; it runs again at the next slot')).toMatchObject({
      schedule: 'journal',
      error: failed.error,
    });

    control.failAfter = undefined;
    const ok = await until('a good run', async () => {
      const last = (await scheduler.list())[0]?.lastRun;
      return last?.status === 'ok' ? last : undefined;
    });

    expect(ok).toMatchObject({ rows: 4, position: '4' });
    expect(readdirSync(directory).sort()).toEqual([ok.file, ok.file.replace(/\.csv$/, '.json')].sort());
  });

  it('fail while the directory cannot be made, and write once it can', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const parent = aDirectory();
    const directory = join(parent, 'exports');
    // A file where the directory should be: refused even to root, unlike a permission bit.
    writeFileSync(directory, 'in the way');
    const scheduler = startScheduler(ledger, [{ name: 'announcements', cron: '*/1 * * * * *', kind: 'announcements', directory, keep: 5 }]);

    const failed = await until('a failed run', async () => {
      const last = (await scheduler.list())[0]?.lastRun;
      return last?.status === 'failed' ? last : undefined;
    });
    rmSync(directory);
    const ok = await until('a good run', async () => {
      const last = (await scheduler.list())[0]?.lastRun;
      return last?.status === 'ok' ? last : undefined;
    });

    expect(failed.error).toMatch(/EEXIST|ENOTDIR/);
    expect(ok).toMatchObject({ rows: 2, position: '4' });
    expect(existsSync(join(directory, ok.file))).toBe(true);
    expect(readdirSync(parent)).toEqual(['exports']);
  });

  it('stop cleanly: a run in progress finishes, and no slot fires afterwards', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const directory = aDirectory();
    const control: StoreControl = { delayMs: 300, failAfter: undefined, active: 0, maxActive: 0 };
    const scheduler = startScheduler(ledger, [{ name: 'journal', cron: '*/1 * * * * *', kind: 'events', directory, keep: 5 }], {
      store: controlledStore(ledger.ledger.context.store, control),
    });

    await until('a run in progress', async () => (await scheduler.list())[0]?.running);
    await scheduler.stop();
    const afterStop = readdirSync(directory).sort();
    await sleep(1_500);

    expect((await scheduler.list())[0]).toMatchObject({ running: false, nextRun: null, lastRun: { status: 'ok', rows: 4 } });
    expect(afterStop).toHaveLength(2);
    expect(tempFilesIn(directory)).toEqual([]);
    expect(readdirSync(directory).sort()).toEqual(afterStop);
  });
});
