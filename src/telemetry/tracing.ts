// Turns tracing on when it is configured: the SDK is imported here, and only then, so a ledger without it loads none of it.
import type { Logger } from 'pino';
import type { TracingConfig } from '../config.js';
import type { Tracing } from './sdk.js';

export type { Tracing } from './sdk.js';

/** Registers the OpenTelemetry SDK when `config` says where spans go; undefined (and the API's no-ops stay) when off. */
export async function startTracing(config: TracingConfig | undefined, logger: Logger): Promise<Tracing | undefined> {
  if (config === undefined) return undefined;
  const { registerTracing } = await import('./sdk.js');
  return registerTracing(config, logger);
}
