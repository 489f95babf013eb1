// Schemas of the CSV export routes: the /totals query plus `bom`, and the state of the scheduled exports.
import { z } from 'zod';
import {
  ANNOUNCEMENT_COLUMNS,
  EVENT_COLUMNS,
  EXPORT_KINDS,
  TOTALS_CONVERSION_COLUMNS,
  TOTALS_FIGURE_COLUMNS,
  TOTALS_RATES_COLUMN,
} from './csv.js';
import { positionSchema } from './common.js';
import { totalsQuerySchema } from './totals.js';

const bomSchema = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .default('false')
  .transform((value) => value === 'true')
  .meta({ description: 'Start the file with a UTF-8 byte order mark, so Excel opens it as UTF-8' });

const ratesColumnSchema = z
  .enum(['true', 'false'], { error: 'must be true or false' })
  .default('false')
  .transform((value) => value === 'true')
  .meta({ description: `With \`currency\`: add a last column \`${TOTALS_RATES_COLUMN}\`, the recorded rates each row used` });

export const totalsExportQuerySchema = totalsQuerySchema.extend({ bom: bomSchema, rates: ratesColumnSchema });
export const plainExportQuerySchema = z.strictObject({ bom: bomSchema });

/** A CSV body is a stream sent as is; these only document it. */
const csvOf = (description: string) => z.string().meta({ description });

export const totalsCsvSchema = csvOf(
  `RFC 4180 CSV, CRLF line ends, a header row: the groupBy dimensions in the order asked (not currency), then ` +
    `${TOTALS_FIGURE_COLUMNS.join(', ')}; ` +
    `with \`currency\` also ${TOTALS_CONVERSION_COLUMNS.join(', ')}, and with \`rates=true\` a last column ${TOTALS_RATES_COLUMN}: ` +
    'each rate used as BASE/QUOTE=rate@effectiveOn#position (" inverse" when used inverted), joined with ";". ' +
    `One row per group and original currency, so the rows add up to ` +
    `/totals exactly.`,
);
export const announcementsCsvSchema = csvOf(
  `RFC 4180 CSV, CRLF line ends, one row per allocation of each announcement: ${ANNOUNCEMENT_COLUMNS.join(', ')}`,
);
export const eventsCsvSchema = csvOf(`RFC 4180 CSV, CRLF line ends, one row per event in position order: ${EVENT_COLUMNS.join(', ')}`);

const runResultSchema = z
  .object({
    status: z.enum(['ok', 'failed']),
    file: z.string().nullable().meta({ description: 'File name written in the directory; null when the run failed' }),
    rows: z.number().int().min(0).optional(),
    position: positionSchema.optional(),
    sha256: z.string().optional(),
    startedAt: z.string().meta({ format: 'date-time' }),
    finishedAt: z.string().meta({ format: 'date-time' }),
    durationMs: z.number().int().min(0),
    error: z.string().optional().meta({ description: 'Why the run failed; it runs again at the next slot' }),
  })
  .meta({ id: 'ExportRun', description: "The result of a schedule's last run" });

export const schedulesResponseSchema = z
  .object({
    schedules: z.array(
      z.object({
        name: z.string(),
        cron: z.string().meta({ description: 'Five fields, or six with seconds first', examples: ['0 6 * * *'] }),
        timezone: z.string().meta({ examples: ['Europe/London'] }),
        kind: z.enum(EXPORT_KINDS),
        options: z.record(z.string(), z.unknown()),
        keep: z.number().int().min(1),
        nextRun: z.string().nullable().meta({ format: 'date-time', description: 'The next slot; null once the service is stopping' }),
        running: z.boolean(),
        lastRun: runResultSchema.nullable().meta({ description: 'null until the first run' }),
      }),
    ),
  })
  .meta({ id: 'ExportSchedules', description: 'Every scheduled export from EXPORT_SCHEDULES_FILE' });
