// Runs the export schedules with croner: each slot on exactly one instance (a lease in the store), never two runs of
// one schedule at once, results recorded in the store for every instance to show, a clean stop.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { ExportSources } from '../sources.js';
import type { ExportCheckpoints } from './checkpoint.js';
import { CRON_MODE, type ExportSchedule } from './config.js';
import { applyRetention, runScheduledExport, type RunResult } from './run.js';
import { ScheduleSlots } from './slots.js';
import type { ScheduleStore } from './store.js';

export interface ScheduleStatus {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly kind: ExportSchedule['kind'];
  readonly options: Record<string, unknown>;
  readonly keep: number;
  /** ISO 8601 instant of the next slot; null once stopped. */
  readonly nextRun: string | null;
  /** A run of it is in progress, here or on another instance holding a live lease. */
  readonly running: boolean;
  readonly lastRun: RunResult | null;
}

export interface SchedulerOptions {
  /**
   * Where slots and results are recorded (opened at start, only when there are schedules; closed at stop).
   * @defaultValue the export sources' store, left open (the ledger opens one with openScheduleStore)
   */
  readonly store?: () => ScheduleStore;
  /** This instance's name in the leases. @defaultValue host name, process id and a random suffix */
  readonly instance?: string;
  /**
   * How long a lease lasts unless renewed; a run renews it every third of this, and a slot whose holder stopped
   * renewing is taken over once it expires. @defaultValue 60_000
   */
  readonly leaseMs?: number;
  readonly clock?: () => Date;
  /** Signs the checkpoint each run's manifest carries (journalCheckpoints); without it manifests carry none. */
  readonly checkpoints?: ExportCheckpoints;
}

interface Job {
  readonly schedule: ExportSchedule;
  cron: Cron | undefined;
  slots: ScheduleSlots | undefined;
  running: Promise<void> | undefined;
  lastRun: RunResult | null;
}

const DEFAULT_LEASE_MS = 60_000;

/** The slot a firing belongs to: the latest cron instant at or just before now (timers fire a little late, never early). */
function slotAt(cron: Cron, now: Date): string | undefined {
  return cron.previousRuns(1, new Date(now.getTime() + 500))[0]?.toISOString();
}

export class ExportScheduler {
  private readonly jobs: Job[];
  private stopped = false;
  private store: ScheduleStore | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  readonly instance: string;
  private readonly leaseMs: number;
  private readonly clock: () => Date;
  private readonly runListeners = new Set<(schedule: string, result: RunResult) => void>();

  constructor(
    schedules: readonly ExportSchedule[],
    private readonly sources: ExportSources,
    private readonly logger: Logger,
    private readonly options: SchedulerOptions = {},
  ) {
    this.jobs = schedules.map((schedule) => ({ schedule, cron: undefined, slots: undefined, running: undefined, lastRun: null }));
    this.instance = options.instance ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Opens the schedules' store and follows each schedule's record in it; once. */
  private open(): void {
    if (this.store !== undefined) return;
    const store = (this.store = this.options.store?.() ?? { store: this.sources.store, close: async () => undefined });
    for (const job of this.jobs) job.slots = new ScheduleSlots(store.store, job.schedule.name, this.instance, this.clock);
  }

  start(): void {
    if (this.jobs.length === 0) return;
    this.open();
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
        (cron: Cron) => this.run(job, slotAt(cron, this.clock())),
      );
    }
    // A slot whose holder died (its lease ran out with no result) is taken over by whichever instance looks first.
    this.watchdog = setInterval(() => void this.takeOverAbandoned(), Math.max(250, Math.round(this.leaseMs / 2)));
    this.watchdog.unref();
    this.logger.info({ schedules: this.jobs.map((job) => job.schedule.name), instance: this.instance }, 'export schedules started');
  }

  /** Runs `slot` if this instance wins it; resolves when done. A run already in progress here is not doubled. */
  async run(job: Job, slot: string | undefined): Promise<void> {
    if (job.running !== undefined || this.stopped || slot === undefined) return job.running;
    job.running = this.runSlot(job, slot).finally(() => {
      job.running = undefined;
    });
    return job.running;
  }

  /** Runs the named schedule now, outside its slots (for tests and operators): a slot of its own, this instant. */
  async runNow(name: string): Promise<RunResult | null> {
    const job = this.jobs.find((candidate) => candidate.schedule.name === name);
    if (job === undefined) throw new Error(`no export schedule is named "${name}"`);
    this.open();
    await this.run(job, this.clock().toISOString());
    return (await job.slots?.current())?.lastRun ?? job.lastRun;
  }

  private async takeOverAbandoned(): Promise<void> {
    for (const job of this.jobs) {
      if (this.stopped || job.running !== undefined || job.cron === undefined || job.slots === undefined) continue;
      try {
        const record = await job.slots.current();
        const latest = record.latestSlot === undefined ? undefined : record.slots.get(record.latestSlot);
        const abandoned = latest !== undefined && latest.result === undefined && Date.parse(latest.leaseUntil) <= this.clock().getTime();
        // Only the current slot: an older one is past, and the next slot's run brings the export up to date anyway.
        if (abandoned && record.latestSlot === slotAt(job.cron, this.clock())) {
          this.logger.warn(
            { schedule: job.schedule.name, slot: record.latestSlot, holder: latest.holder },
            'scheduled export slot abandoned by its holder; taking it over',
          );
          await this.run(job, record.latestSlot);
        }
      } catch (error) {
        this.logger.warn({ schedule: job.schedule.name, err: error }, 'could not check the schedule for an abandoned slot');
      }
    }
  }

  private async runSlot(job: Job, slot: string): Promise<void> {
    const { schedule } = job;
    const slots = job.slots as ScheduleSlots;
    let claim: Awaited<ReturnType<ScheduleSlots['claim']>>;
    try {
      claim = await slots.claim(slot, this.leaseMs);
    } catch (error) {
      // Without the store no instance can be sure it alone runs the slot, nor record a result: the next slot tries again.
      this.logger.error(
        { schedule: schedule.name, slot, err: error },
        'could not claim the scheduled export slot; it runs again at the next slot',
      );
      return;
    }
    if (claim !== true) {
      if (claim === 'busy')
        this.logger.warn({ schedule: schedule.name, slot }, 'scheduled export still running on another instance; this slot is skipped');
      else this.logger.debug({ schedule: schedule.name, slot, why: claim }, 'scheduled export slot not run here');
      return;
    }
    let holding = true;
    const renewal = setInterval(
      () => {
        slots.renew(slot, this.leaseMs).then(
          (renewed) => {
            if (!renewed && holding)
              this.logger.warn(
                { schedule: schedule.name, slot },
                'lost the lease on a scheduled export slot; another instance took it over',
              );
            holding &&= renewed;
          },
          (error: unknown) =>
            this.logger.warn({ schedule: schedule.name, slot, err: error }, 'could not renew the lease on a scheduled export slot'),
        );
      },
      Math.max(100, Math.round(this.leaseMs / 3)),
    );
    let failure: unknown;
    let result: RunResult;
    try {
      result = await runScheduledExport(schedule, this.sources, this.clock, (error) => (failure = error), this.options.checkpoints);
    } finally {
      clearInterval(renewal);
    }
    job.lastRun = result;
    for (const listener of this.runListeners) listener(schedule.name, result);
    await this.record(job, slot, result);
    if (result.status === 'failed') {
      // Logged and left for the next slot: nothing partial remains to clean up. The log has the paths the answer leaves out.
      this.logger.error(
        { schedule: schedule.name, error: result.error, err: failure, durationMs: result.durationMs },
        'scheduled export failed; it runs again at the next slot',
      );
      return;
    }
    this.logger.info(
      { schedule: schedule.name, slot, file: result.file, rows: result.rows, position: result.position, durationMs: result.durationMs },
      'scheduled export written',
    );
    try {
      const removed = await applyRetention(schedule);
      if (removed.length > 0) this.logger.info({ schedule: schedule.name, removed }, 'old scheduled exports removed');
    } catch (error) {
      this.logger.warn({ schedule: schedule.name, err: error }, 'could not remove old scheduled exports');
    }
  }

  private async record(job: Job, slot: string, result: RunResult): Promise<void> {
    try {
      if (!(await job.slots!.recordResult(slot, result))) {
        this.logger.warn(
          { schedule: job.schedule.name, slot, file: result.file },
          'another instance took this scheduled export slot over; its result stands, not this one',
        );
      }
    } catch (error) {
      this.logger.error(
        { schedule: job.schedule.name, slot, file: result.file, err: error },
        'could not record the scheduled export result in the store',
      );
    }
  }

  /** Each schedule as the store records it (lastRun from whichever instance ran it), so every instance answers alike. */
  async list(): Promise<ScheduleStatus[]> {
    return Promise.all(
      this.jobs.map(async ({ schedule, cron, slots, running, lastRun }) => {
        const record = await slots?.current().catch(() => undefined);
        const latest = record?.latestSlot === undefined ? undefined : record.slots.get(record.latestSlot);
        const leased = latest !== undefined && latest.result === undefined && Date.parse(latest.leaseUntil) > this.clock().getTime();
        return {
          name: schedule.name,
          cron: schedule.cron,
          timezone: schedule.timezone,
          kind: schedule.kind,
          options: schedule.options,
          keep: schedule.keep,
          nextRun: this.stopped ? null : (cron?.nextRun()?.toISOString() ?? null),
          running: running !== undefined || (!this.stopped && leased),
          lastRun: record?.lastRun ?? lastRun,
        };
      }),
    );
  }

  /** Sees the result of every run this instance makes (metrics count them); returns the unsubscribe. */
  onRun(listener: (schedule: string, result: RunResult) => void): () => void {
    this.runListeners.add(listener);
    return () => this.runListeners.delete(listener);
  }

  /** No slot fires after this; a run in progress is awaited (its result recorded), then the schedules' store closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.watchdog);
    for (const job of this.jobs) job.cron?.stop();
    await Promise.all(this.jobs.flatMap((job) => (job.running === undefined ? [] : [job.running])));
    const store = this.store;
    this.store = undefined;
    await store?.close();
  }
}
