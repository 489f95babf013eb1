// Projection snapshots: a restart restores instead of replaying, and a damaged, stale or foreign snapshot is ignored.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../../src/projections/storage/digest.js';
import { loadSnapshot, snapshotPath } from '../../src/projections/storage/snapshot.js';
import { openEmbeddedStore } from '../../src/store/embedded.js';
import { clientOf, expectStatus, startTestLedger } from '../support/ledger.js';
import { registerProgrammes, theThirtyMillion, theThreeMillion, anExchangeRate } from '../support/scenarios.js';

async function aLedgerWithHistory() {
  const ledger = await startTestLedger();
  const client = clientOf(ledger);
  await registerProgrammes(ledger);
  expectStatus(await client.post('/exchange-rates', anExchangeRate()), 201);
  expectStatus(await client.post('/announcements', theThirtyMillion()), 201);
  const three = expectStatus(await client.post('/announcements', theThreeMillion()), 201);
  expectStatus(
    await client.post(`/announcements/${three.json.id}/amendments`, { changes: { country: 'FR' }, reason: 'moved to France' }),
    200,
  );
  return ledger;
}

const totalsOf = async (ledger: Awaited<ReturnType<typeof startTestLedger>>) =>
  (await clientOf(ledger).get('/totals?groupBy=programme,country,fiscalYear&currency=EUR')).json;

describe('projection snapshots', () => {
  it('are saved at shutdown and restored at start, giving the same answers and digest as a full replay', async () => {
    const ledger = await aLedgerWithHistory();
    const before = await totalsOf(ledger);
    const liveDigest = digestOf(ledger.ledger.context.projections.states);
    await ledger.close();
    expect(existsSync(snapshotPath(ledger.dataDir))).toBe(true);

    const store = openEmbeddedStore({ dataDir: ledger.dataDir });
    const verdict = await loadSnapshot(ledger.dataDir, store);
    await store.close();
    expect(verdict.usable).toBe(true);
    if (verdict.usable) {
      expect(verdict.snapshot.stateDigest).toBe(liveDigest);
      expect(digestOf(verdict.snapshot.states)).toBe(liveDigest);
    }

    const restarted = await startTestLedger({ dataDir: ledger.dataDir });
    expect(await totalsOf(restarted)).toEqual(before);
    // Later events are applied on top of the restored state, and a replay from the first event agrees.
    expectStatus(await clientOf(restarted).post('/announcements', theThirtyMillion({ title: 'A second £30m' })), 201);
    const replay = (await clientOf(restarted).post('/audit/replay', {})).json;
    expect(replay.match).toBe(true);
  });

  it('ignores a corrupt snapshot and rebuilds from the first event', async () => {
    const ledger = await aLedgerWithHistory();
    const before = await totalsOf(ledger);
    await ledger.close();
    const bytes = readFileSync(snapshotPath(ledger.dataDir));
    const middle = Math.floor(bytes.length / 2);
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
    writeFileSync(snapshotPath(ledger.dataDir), bytes);

    const store = openEmbeddedStore({ dataDir: ledger.dataDir });
    const verdict = await loadSnapshot(ledger.dataDir, store);
    await store.close();
    expect(verdict).toEqual({ usable: false, reason: 'the snapshot is corrupt (its checksum does not match)' });

    const restarted = await startTestLedger({ dataDir: ledger.dataDir });
    expect(await totalsOf(restarted)).toEqual(before);
  });

  it('ignores a snapshot that belongs to another store', async () => {
    const first = await aLedgerWithHistory();
    await first.close();
    const other = await startTestLedger();
    await registerProgrammes(other);
    await other.close();
    // Put the first ledger's snapshot beside the other ledger's events.
    writeFileSync(snapshotPath(other.dataDir), readFileSync(snapshotPath(first.dataDir)));

    const store = openEmbeddedStore({ dataDir: other.dataDir });
    const verdict = await loadSnapshot(other.dataDir, store);
    await store.close();
    expect(verdict.usable).toBe(false);
    expect(verdict.usable === false && verdict.reason).toMatch(/stale/);

    const restarted = await startTestLedger({ dataDir: other.dataDir });
    const totals = await totalsOf(restarted);
    expect(totals.total.count).toBe(0);
  });
});
