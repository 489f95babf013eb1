// Takes a backup at every slot of BACKUP_SCHEDULE (UTC); a slot that comes while one is still running is skipped.
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { Backups } from './backups.js';
import { BACKUP_CRON_MODE } from './schedule.js';

export class BackupScheduler {
  private cron: Cron | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly pattern: string | undefined,
    private readonly backups: Backups | undefined,
    private readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>,
  ) {}

  start(): void {
    const { backups, pattern } = this;
    if (pattern === undefined || backups === undefined) return;
    this.cron = new Cron(
      pattern,
      { mode: BACKUP_CRON_MODE, timezone: 'UTC', protect: () => this.logger.warn('scheduled backup still running; this slot is skipped') },
      async () => {
        // A failed backup (disk full, directory not writable) is logged; the next slot tries again.
        this.running = backups.take().then(
          () => undefined,
          (error: unknown) => this.logger.error({ err: error }, 'scheduled backup failed'),
        );
        await this.running;
      },
    );
    this.logger.info({ schedule: pattern, nextRun: this.cron.nextRun()?.toISOString() }, 'backup schedule started');
  }

  /** No further slot fires; a backup in progress is finished first. */
  async stop(): Promise<void> {
    this.cron?.stop();
    this.cron = undefined;
    await this.running;
  }
}
