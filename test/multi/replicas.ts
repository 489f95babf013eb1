// Several ledgers on one EventStoreDB stand-in, as replicas behind a load balancer: one API key known to all of them.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';
import { startStandIn, type StandIn } from '../support/esdbStandIn/server.js';
import { startTestLedger, type TestLedger } from '../support/ledger.js';

/** A stand-in of its own for the test, closed when it ends (after the ledgers using it). */
export async function aStandIn(): Promise<StandIn> {
  const standIn = await startStandIn();
  onTestFinished(() => standIn.close());
  return standIn;
}

/** A fresh data directory, removed when the test ends. */
export function aDataDir(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'funding-ledger-replica-'));
  onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
  return dataDir;
}

/**
 * Gives a new replica's data directory the first replica's admin key and audit signing key, as an operator gives every
 * replica the same AUDIT_SIGNING_KEY_FILE. With API keys in files the key file goes too; with keys in the store the
 * replica finds them there and the copied admin.key only tells the test the key.
 */
export function shareKeys(from: string, to: string): void {
  for (const file of ['keys.json', 'admin.key', join('audit', 'signing.key')]) {
    if (!existsSync(join(from, file))) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true, mode: 0o700 });
    copyFileSync(join(from, file), join(to, file));
  }
}

/** `count` in-process ledgers on one stand-in, each with a data directory of its own and the same admin key. */
export async function replicasOn(
  standIn: Pick<StandIn, 'connectionString'>,
  count: number,
  env: Record<string, string> = {},
): Promise<TestLedger[]> {
  const options = (dataDir: string) => ({
    dataDir,
    env: { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: standIn.connectionString, ...env },
  });
  const first = await startTestLedger(options(aDataDir()));
  const replicas = [first];
  while (replicas.length < count) {
    const dataDir = aDataDir();
    shareKeys(first.dataDir, dataDir);
    replicas.push(await startTestLedger(options(dataDir)));
  }
  return replicas;
}
