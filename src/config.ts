// Configuration: one zod schema over the environment, parsed once at start; a bad value stops start-up naming the variable.
import { join, resolve } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { z } from 'zod';
import { backupScheduleProblem } from './backup/schedule.js';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const otlpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of an OTLP/HTTP collector, such as http://127.0.0.1:4318' });

const configSchema = z
  .object({
    PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DATA_DIR: z.string().min(1).default('./data'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PUBLIC_READ: booleanFlag.default(false),
    EVENT_STORE: z.enum(['embedded', 'eventstoredb'], { error: 'must be "embedded" or "eventstoredb"' }).default('embedded'),
    EVENTSTORE_CONNECTION_STRING: z
      .string()
      .regex(
        /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb|kdb\+discover):\/\//,
        'must be a connection string such as esdb://127.0.0.1:2113?tls=false',
      )
      .optional(),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number({ error: 'must be a whole number (0 turns the limit off)' }).int().min(0).default(6000),
    SNAPSHOT_EVERY_EVENTS: z.coerce
      .number({ error: 'must be a whole number of events (0: only at shutdown)' })
      .int()
      .min(0)
      .default(250_000),
    HISTORY_BASE_EVERY_EVENTS: z.coerce.number({ error: 'must be a whole number of events' }).int().min(1).default(50_000),
    SHUTDOWN_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(1000).default(60_000),
    MAX_EVENT_LOOP_DELAY_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(10).default(1000),
    BODY_IDLE_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(100).default(10_000),
    MAX_CONNECTIONS: z.coerce.number({ error: 'must be a whole number of connections' }).int().min(1).default(1024),
    CORS_ORIGINS: z
      .string()
      .transform((text) =>
        text
          .split(',')
          .map((origin) => origin.trim().replace(/\/+$/, ''))
          .filter(Boolean),
      )
      .pipe(z.array(z.union([z.literal('*'), z.url({ error: 'each origin must be a URL such as https://dashboard.example.org, or *' })])))
      .default([]),
    EXPORT_SCHEDULES_FILE: z.string().min(1).optional(),
    HEAVY_CONCURRENCY: z.coerce.number({ error: 'must be a whole number' }).int().min(1).max(64).default(2),
    HEAVY_QUEUE: z.coerce.number({ error: 'must be a whole number' }).int().min(0).max(10_000).default(64),
    HEAVY_PER_CLIENT: z.coerce.number({ error: 'must be a whole number' }).int().min(1).max(1000).default(4),
    HEAVY_READS_PER_MINUTE: z.coerce.number({ error: 'must be a whole number (0 turns the limit off)' }).int().min(0).default(600),
    HEAVY_QUEUE_TIMEOUT_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(100).default(30_000),
    TOTALS_CACHE_BYTES: z.coerce
      .number({ error: 'must be a number of bytes' })
      .int()
      .min(0)
      .default(16 * 1024 * 1024),
    CACHE_ENTRY_MAX_BYTES: z.coerce
      .number({ error: 'must be a number of bytes' })
      .int()
      .min(0)
      .default(4 * 1024 * 1024),
    ASOF_CACHE_BYTES: z.coerce
      .number({ error: 'must be a number of bytes' })
      .int()
      .min(0)
      .default(32 * 1024 * 1024),
    MAX_HEAP_USED_BYTES: z.coerce.number({ error: 'must be a number of bytes (0 turns the check off)' }).int().min(0).optional(),
    MAX_RSS_BYTES: z.coerce
      .number({ error: 'must be a number of bytes (0 turns the check off)' })
      .int()
      .min(0)
      .default(2 * 1024 * 1024 * 1024),
    LEDGER_ID: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]{1,64}$/,
        'must be 1 to 64 letters, digits, dots, dashes or underscores (it names the log: funding-ledger/<LEDGER_ID>)',
      )
      .optional(),
    AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
    BACKUP_SCHEDULE: z
      .string()
      .superRefine((pattern, ctx) => {
        const problem = backupScheduleProblem(pattern);
        if (problem !== undefined)
          ctx.addIssue({
            code: 'custom',
            message: `must be a cron pattern such as "0 3 * * *" (five fields, or six with seconds first): ${problem}`,
          });
      })
      .optional(),
    BACKUP_KEEP: z.coerce
      .number({ error: 'must be a whole number of backups, at least 1' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .default(7),
    // The standard OpenTelemetry variables; the OTLP exporter reads these and the rest (OTEL_EXPORTER_OTLP_HEADERS...) itself.
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl.optional(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl.optional(),
    OTEL_SERVICE_NAME: z.string().min(1).default('funding-ledger'),
    OTEL_SDK_DISABLED: booleanFlag.default(false),
  })
  .refine((c) => c.EVENT_STORE !== 'eventstoredb' || c.BACKUP_SCHEDULE === undefined, {
    path: ['BACKUP_SCHEDULE'],
    message: "is for the embedded store; on EventStoreDB use the server's own backup",
  })
  .refine((c) => c.EVENT_STORE !== 'eventstoredb' || c.EVENTSTORE_CONNECTION_STRING !== undefined, {
    path: ['EVENTSTORE_CONNECTION_STRING'],
    message: 'is required when EVENT_STORE=eventstoredb (e.g. esdb://127.0.0.1:2113?tls=false)',
  });

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  readonly logLevel: z.infer<typeof configSchema>['LOG_LEVEL'];
  readonly publicRead: boolean;
  readonly eventStore: 'embedded' | 'eventstoredb';
  /** Where EventStoreDB is, when eventStore is 'eventstoredb'. */
  readonly eventStoreConnectionString: string | undefined;
  readonly bodyLimitBytes: number;
  /** POST requests allowed per API key (or address) per minute; 0 turns the limit off. */
  readonly writesPerMinute: number;
  /** Save a projection snapshot after this many new events (and always at shutdown); 0 saves only at shutdown. */
  readonly snapshotEveryEvents: number;
  /** Events between the bases of the history of the totals (DATA_DIR/history). */
  readonly historyBaseEveryEvents: number;
  /** How long a graceful shutdown (finish requests, stop schedules, save the snapshot, close the store) may take. */
  readonly shutdownTimeoutMs: number;
  /** Event-loop delay beyond which requests get 503 with Retry-After instead of piling up. */
  readonly maxEventLoopDelayMs: number;
  /** A request body that brings less than 1 KiB in this time, and is not complete, gets 408 and its connection closed. */
  readonly bodyIdleTimeoutMs: number;
  /** Open connections the server accepts; Node drops any beyond them as soon as they are accepted. */
  readonly maxConnections: number;
  /** Origins allowed to call the API from a browser; empty means no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** Absolute path of the JSON file of scheduled exports (README "CSV"); none when unset. */
  readonly exportSchedulesFile: string | undefined;
  /** Admission of heavy work (README "Heavy work"): how much runs at once, waits, and per client. */
  readonly heavy: {
    readonly concurrency: number;
    readonly queue: number;
    readonly perClient: number;
    /** Heavy requests a client may start per minute; 0 turns the budget off. */
    readonly perMinute: number;
    readonly queueTimeoutMs: number;
  };
  /** Byte bounds of the caches: live and past totals answers, past totals states, and the largest answer kept. */
  readonly cacheBytes: { readonly totals: number; readonly entryMax: number; readonly asOf: number };
  /** Heap and RSS beyond which requests (but /health/live) get 503; 0 turns a check off. */
  readonly maxHeapUsedBytes: number;
  readonly maxRssBytes: number;
  /** The log's name in checkpoints (`funding-ledger/<id>`); unset: taken from the signing key, or made with it. */
  readonly ledgerId: string | undefined;
  /** Absolute path of the checkpoints' Ed25519 signing key (C2SP signer-key text); made on first start when missing. */
  readonly auditSigningKeyFile: string;
  /** Backups of the embedded store under DATA_DIR/backups: the cron pattern (UTC) of scheduled ones, and how many to keep. */
  readonly backup: { readonly schedule: string | undefined; readonly keep: number };
  /** OpenTelemetry tracing (README "Tracing"): on when an OTLP endpoint is set (and OTEL_SDK_DISABLED is not); undefined when off. */
  readonly tracing: TracingConfig | undefined;
}

export interface TracingConfig {
  /** The `service.name` of every span. @defaultValue 'funding-ledger' */
  readonly serviceName: string;
  /** Where spans go: the traces endpoint when set, else the base endpoint (the exporter adds /v1/traces to it). */
  readonly endpoint: string;
}

function tracingOf(c: z.infer<typeof configSchema>): TracingConfig | undefined {
  const endpoint = c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? c.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (endpoint === undefined || c.OTEL_SDK_DISABLED) return undefined;
  return { serviceName: c.OTEL_SERVICE_NAME, endpoint };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the configuration from an environment (process.env by default); empty strings count as unset. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return {
    port: c.PORT,
    host: c.HOST,
    dataDir: resolve(c.DATA_DIR),
    logLevel: c.LOG_LEVEL,
    publicRead: c.PUBLIC_READ,
    eventStore: c.EVENT_STORE,
    eventStoreConnectionString: c.EVENTSTORE_CONNECTION_STRING,
    bodyLimitBytes: c.BODY_LIMIT_BYTES,
    writesPerMinute: c.RATE_LIMIT_WRITES_PER_MINUTE,
    maxEventLoopDelayMs: c.MAX_EVENT_LOOP_DELAY_MS,
    bodyIdleTimeoutMs: c.BODY_IDLE_TIMEOUT_MS,
    maxConnections: c.MAX_CONNECTIONS,
    snapshotEveryEvents: c.SNAPSHOT_EVERY_EVENTS,
    historyBaseEveryEvents: c.HISTORY_BASE_EVERY_EVENTS,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    corsOrigins: c.CORS_ORIGINS,
    exportSchedulesFile: c.EXPORT_SCHEDULES_FILE === undefined ? undefined : resolve(c.EXPORT_SCHEDULES_FILE),
    heavy: {
      concurrency: c.HEAVY_CONCURRENCY,
      queue: c.HEAVY_QUEUE,
      perClient: c.HEAVY_PER_CLIENT,
      perMinute: c.HEAVY_READS_PER_MINUTE,
      queueTimeoutMs: c.HEAVY_QUEUE_TIMEOUT_MS,
    },
    cacheBytes: { totals: c.TOTALS_CACHE_BYTES, entryMax: c.CACHE_ENTRY_MAX_BYTES, asOf: c.ASOF_CACHE_BYTES },
    // By default nine tenths of the heap V8 may grow to (--max-old-space-size), so the service refuses work before V8 gives up.
    maxHeapUsedBytes: c.MAX_HEAP_USED_BYTES ?? Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    maxRssBytes: c.MAX_RSS_BYTES,
    ledgerId: c.LEDGER_ID,
    auditSigningKeyFile: resolve(c.AUDIT_SIGNING_KEY_FILE ?? join(c.DATA_DIR, 'audit', 'signing.key')),
    backup: { schedule: c.BACKUP_SCHEDULE, keep: c.BACKUP_KEEP },
    tracing: tracingOf(c),
  };
}
