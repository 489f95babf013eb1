// Snapshots and as-of checkpoints are each instance's own caches: an instance starting with none (a new replica, or one
// whose DATA_DIR was wiped) catches up from EventStoreDB and answers exactly as the instance that has them.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientOf, expectStatus, startTestLedger, type TestLedger } from '../support/ledger.js';
import { anExchangeRate, registerProgrammes, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';
import { aDataDir, aStandIn, shareKeys } from './replicas.js';

const QUERIES = ['/totals?groupBy=programme,country', '/totals?groupBy=year&currency=EUR'];

async function answers(ledger: TestLedger, position: string, asOf: string): Promise<unknown[]> {
  const live = await Promise.all(
    QUERIES.map(async (query) => expectStatus(await clientOf(ledger).get(`${query}&minPosition=${position}`), 200).json),
  );
  const past = await Promise.all(QUERIES.map(async (query) => expectStatus(await clientOf(ledger).get(`${query}&asOf=${asOf}`), 200).json));
  return [...live, ...past];
}

describe('local caches on replicas', () => {
  it('an instance with no snapshot and no as-of checkpoint catches up from the store and answers alike', async () => {
    const standIn = await aStandIn();
    const env = { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: standIn.connectionString, SNAPSHOT_EVERY_EVENTS: '5' };
    const first = await startTestLedger({ dataDir: aDataDir(), env });
    await registerProgrammes(first);
    expectStatus(await clientOf(first).post('/exchange-rates', anExchangeRate()), 201);
    const early = expectStatus(await clientOf(first).post('/announcements', theThirtyMillion()), 201).json.position as string;
    let last = early;
    for (let index = 0; index < 12; index += 1)
      last = expectStatus(await clientOf(first).post('/announcements', theThreeMillion({ title: `Announcement ${index}` })), 201).json
        .position as string;
    const expected = await answers(first, last, early);
    await first.close();
    expect(existsSync(join(first.dataDir, 'snapshots')) && readdirSync(join(first.dataDir, 'snapshots')).length > 0).toBe(true);

    const fresh = aDataDir();
    shareKeys(first.dataDir, fresh);
    const replica = await startTestLedger({ dataDir: fresh, env });
    expect(await answers(replica, last, early)).toEqual(expected);

    const restarted = await startTestLedger({ dataDir: first.dataDir, env });
    expect(await answers(restarted, last, early)).toEqual(expected);
  });
});
