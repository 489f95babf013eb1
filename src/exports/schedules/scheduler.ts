// Runs the export schedules inside the service with croner: never two runs of one schedule at once, a clean stop.
import { Cron } from 'croner';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { ExportSources } from '../sources.js';
import { CRON_MODE, type ExportSchedule } from './config.js';
import { applyRetention, runScheduledExport, type RunResult } from './run.js';

export interface ScheduleStatus {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly kind: ExportSchedule['kind'];
  readonly options: Record<string, unknown>;
  readonly keep: number;
  /** ISO 8601 instant of the next slot; null once stopped. */
  readonly nextRun: string | null;
  readonly running: boolean;
  readonly lastRun: RunResult | null;
}

interface Job {
  readonly schedule: ExportSchedule;
  cron: Cron | undefined;
  running: Promise<void> | undefined;
  lastRun: RunResult | null;
}

export class ExportScheduler {
  private readonly jobs: Job[];
  private stopped = false;

  constructor(
    schedules: readonly ExportSchedule[],
    private readonly sources: ExportSources,
    private readonly logger: Logger,
  ) {
    this.jobs = schedules.map((schedule) => ({ schedule, cron: undefined, running: undefined, lastRun: null }));
  }

  start(): void {
    for (const job of this.jobs) {
      const { schedule } = job;
      job.cron = new Cron(
        schedule.cron,
        {
          timezone: schedule.timezone,
          mode: CRON_MODE,
          // croner skips a slot while the previous run is busy; `run` checks as well, so overlap needs both to fail.
          protect: () => this.logger.warn({ schedule: schedule.name }, 'scheduled export still running; this slot is skipped'),
        },
        () => this.run(job),
      );
    }
    if (this.jobs.length > 0) this.logger.info({ schedules: this.jobs.map((job) => job.schedule.name) }, 'export schedules started');
  }

  /** One run now; resolves when it is done. A run already in progress is not doubled: its end is awaited instead. */
  async run(job: Job): Promise<void> {
    if (job.running !== undefined || this.stopped) return job.running;
    job.running = this.runOnce(job).finally(() => {
      job.running = undefined;
    });
    return job.running;
  }

  /** Runs the named schedule now, outside its slots (for tests and operators). */
  async runNow(name: string): Promise<RunResult | null> {
    const job = this.jobs.find((candidate) => candidate.schedule.name === name);
    if (job === undefined) throw new Error(`no export schedule is named "${name}"`);
    await this.run(job);
    return job.lastRun;
  }

  private async runOnce(job: Job): Promise<void> {
    const { schedule } = job;
    let failure: unknown;
    const result = await runScheduledExport(schedule, this.sources, undefined, (error) => (failure = error));
    job.lastRun = result;
    if (result.status === 'failed') {
      // Logged and left for the next slot: nothing partial remains to clean up. The log has the paths the answer leaves out.
      this.logger.error({ schedule: schedule.name, error: result.error, err: failure, durationMs: result.durationMs }, 'scheduled export failed; it runs again at the next slot');
      return;
    }
    this.logger.info({ schedule: schedule.name, file: result.file, rows: result.rows, position: result.position, durationMs: result.durationMs }, 'scheduled export written');
    try {
      const removed = await applyRetention(schedule);
      if (removed.length > 0) this.logger.info({ schedule: schedule.name, removed }, 'old scheduled exports removed');
    } catch (error) {
      this.logger.warn({ schedule: schedule.name, err: error }, 'could not remove old scheduled exports');
    }
  }

  list(): ScheduleStatus[] {
    return this.jobs.map(({ schedule, cron, running, lastRun }) => ({
      name: schedule.name,
      cron: schedule.cron,
      timezone: schedule.timezone,
      kind: schedule.kind,
      options: schedule.options,
      keep: schedule.keep,
      nextRun: this.stopped ? null : (cron?.nextRun()?.toISOString() ?? null),
      running: running !== undefined,
      lastRun,
    }));
  }

  /** No slot fires after this; a run in progress is awaited, so the store can close under it safely. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.jobs) job.cron?.stop();
    await Promise.all(this.jobs.flatMap((job) => (job.running === undefined ? [] : [job.running])));
  }
}
