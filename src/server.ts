// The service entry point: configuration, logger, graceful shutdown, listen.
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { SigningKeyFileError } from './audit/signingKeyFile.js';
import { KeysFileError } from './auth/keysFile.js';
import { ConfigError, loadConfig } from './config.js';
import { startLedger } from './ledger.js';
import { startTracing } from './telemetry/tracing.js';
import { isStoreStartupFailure } from './store/port.js';

async function main(): Promise<void> {
  // Everything the service creates under DATA_DIR is its own (README "Durability"); the stores and writers also set
  // their modes, so this is the backstop.
  process.umask(0o077);
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`funding-ledger: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = pino({
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'headers.authorization'], censor: '[redacted]' },
    ...(process.stdout.isTTY && { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } }),
  });
  // Before the ledger, so that the store and the app find the SDK registered (README "Tracing").
  const tracing = await startTracing(config.tracing, logger);
  let ledger;
  try {
    ledger = await startLedger(config, logger, { http: { requestTimeout: 30_000, keepAliveTimeout: 5_000 } });
  } catch (error) {
    // The export schedules file and the audit signing key are configuration too: the same message and exit code as a bad variable.
    if (error instanceof ConfigError || error instanceof SigningKeyFileError || error instanceof KeysFileError) {
      process.stderr.write(`funding-ledger: ${error.message}\n`);
      process.exit(2);
    }
    // The store could not be opened (locked data dir, unreachable EventStoreDB, a user EventStoreDB refuses or that is
    // not in $admins, which reading $all needs): say so plainly and stop.
    // A damaged store file too: one message naming the file and the damage, and the way back (a restore), no stack;
    // the exit code is the same, so a supervisor that restarts on other codes does not loop on a file that stays bad.
    if (isStoreStartupFailure(error)) {
      logger.fatal(error.message);
      process.exit(3);
    }
    throw error;
  }
  const running = ledger;
  // Bounded, but long enough for the shutdown snapshot of a large ledger (README: Snapshots).
  closeWithGrace({ delay: config.shutdownTimeoutMs, logger }, async ({ err, signal }) => {
    if (err) logger.error({ err }, 'closing after an error');
    else logger.info({ signal }, 'shutting down');
    await running.close();
    // Last: the spans of the requests that closing let finish are sent too.
    await tracing?.shutdown();
  });
  await running.app.listen({ port: config.port, host: config.host });
  logger.info({ dataDir: config.dataDir, eventStore: config.eventStore, publicRead: config.publicRead }, 'funding-ledger ready');
}

await main();
