// The backup schedule (BACKUP_SCHEDULE): a cron pattern croner reads, checked as configuration and run in UTC.
import { Cron } from 'croner';

/** As the export schedules read them: five fields, or six with seconds first. */
export const BACKUP_CRON_MODE = '5-or-6-parts';

/** Why croner refuses a pattern, or why it would never run; undefined when it is fine. */
export function backupScheduleProblem(pattern: string): string | undefined {
  try {
    const job = new Cron(pattern, { paused: true, mode: BACKUP_CRON_MODE, timezone: 'UTC' });
    const next = job.nextRun();
    job.stop();
    return next === null ? 'never runs' : undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
