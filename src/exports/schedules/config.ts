// The export schedules file (EXPORT_SCHEDULES_FILE): read and validated once at start-up, naming schedule and field on error.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Cron } from 'croner';
import { z } from 'zod';
import { ConfigError } from '../../config.js';
import { EXPORT_KINDS, type ExportKind } from '../../schemas/csv.js';
import { parseExportSpec, type ExportSpec } from '../options.js';

export interface ExportSchedule {
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly kind: ExportKind;
  /** The options as the file gives them, for GET /exports/schedules. */
  readonly options: Record<string, unknown>;
  readonly spec: ExportSpec;
  /** Absolute: a relative directory in the file is taken from DATA_DIR. */
  readonly directory: string;
  /** How many runs (csv and manifest) to keep; older ones are removed. */
  readonly keep: number;
}

/** Croner reads five fields, or six with seconds first. */
export const CRON_MODE = '5-or-6-parts';

/** Schedule names become file names, so they are kept to characters every file system takes. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch (_error) {
    return false;
  }
}

/** Why croner refuses a pattern, or why it would never run; undefined when it is fine. */
function cronProblem(pattern: string, timezone: string): string | undefined {
  try {
    const job = new Cron(pattern, { paused: true, mode: CRON_MODE, timezone: isTimeZone(timezone) ? timezone : 'UTC' });
    const next = job.nextRun();
    job.stop();
    return next === null ? 'never runs' : undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const scheduleSchema = z
  .strictObject({
    name: z
      .string({ error: 'is required' })
      .regex(NAME_PATTERN, 'must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit'),
    cron: z.string({ error: 'must be a cron pattern such as "0 6 * * *"' }),
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as "Europe/London"').default('UTC'),
    kind: z.enum(EXPORT_KINDS, { error: `must be ${EXPORT_KINDS.join(', ')}` }),
    options: z.record(z.string(), z.unknown(), { error: 'must be an object' }).default({}),
    directory: z.string({ error: 'must name a directory' }).min(1, 'must name a directory'),
    keep: z.number({ error: 'must be a number of files, at least 1' }).int('must be a whole number').min(1, 'must be at least 1'),
  })
  .superRefine((schedule, ctx) => {
    const problem = cronProblem(schedule.cron, schedule.timezone);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
  });

const where = (path: readonly PropertyKey[]): string => (path.length === 0 ? '' : `${path.map(String).join('.')}: `);

/** Validates the parsed JSON; every problem is a line `schedule "<name>": <field>: <message>`. */
export function parseExportSchedules(value: unknown, dataDir: string): ExportSchedule[] {
  if (!Array.isArray(value)) throw new ConfigError('export schedules: the file must hold a JSON array of schedules');
  const problems: string[] = [];
  const schedules: ExportSchedule[] = [];
  const seen = new Set<string>();
  value.forEach((raw: unknown, index) => {
    const name = (raw as { name?: unknown } | null)?.name;
    const label = typeof name === 'string' ? `schedule "${name}"` : `schedule ${index + 1}`;
    const parsed = scheduleSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${label}: ${where(issue.path)}${issue.message}`);
      return;
    }
    const schedule = parsed.data;
    const spec = parseExportSpec(schedule.kind, schedule.options);
    if (!spec.success) {
      for (const issue of spec.error.issues) problems.push(`${label}: ${where(['options', ...issue.path])}${issue.message}`);
      return;
    }
    if (seen.has(schedule.name)) {
      problems.push(`${label}: name: another schedule has this name`);
      return;
    }
    seen.add(schedule.name);
    const directory = isAbsolute(schedule.directory) ? schedule.directory : resolve(dataDir, schedule.directory);
    schedules.push({ ...schedule, spec: spec.data, directory });
  });
  if (problems.length > 0) throw new ConfigError(`invalid export schedules:\n${problems.map((line) => `  ${line}`).join('\n')}`);
  return schedules;
}

/** Reads EXPORT_SCHEDULES_FILE; no file configured means no schedules. */
export function loadExportSchedules(file: string | undefined, dataDir: string): ExportSchedule[] {
  if (file === undefined) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`EXPORT_SCHEDULES_FILE: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`EXPORT_SCHEDULES_FILE: ${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return parseExportSchedules(value, dataDir);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`EXPORT_SCHEDULES_FILE ${file}: ${error.message}`);
    throw error;
  }
}
