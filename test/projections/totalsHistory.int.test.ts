// The history of the totals in the service: an as-of answer is, byte for byte, the live answer given at that moment,
// after a restart from a snapshot, after the history was lost, and when a full disk stops the history from recording.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminKeyPath } from '../../src/auth/keys.js';
import { canMountTmpfs, fillDisk, mountTmpfsAt } from '../reliability/tmpfs.js';
import { flipBit } from '../support/flipBit.js';
import { startChildLedger, tempDataDir, type ChildLedger } from '../support/childLedger.js';
import { expectStatus, request, type LedgerUnderTest, type Reply } from '../support/ledger.js';
import {
  aLedgerWithProgrammes,
  anExchangeRate,
  theProgrammes,
  theSummitSplit,
  theThirtyMillion,
  theThreeMillion,
} from '../support/scenarios.js';

const QUERIES = ['groupBy=country,year&currency=EUR', 'groupBy=programme', 'groupBy=stage&currency=GBP'];

/** A moment's live answers: as-of answers for its position must be these bytes. */
interface Seen {
  readonly position: string;
  readonly bodies: readonly string[];
}

type Send = (method: string, route: string, body?: unknown) => Promise<Reply>;

/** Requests to a ledger with the admin key its data directory was given at the first start. */
function sendTo(ledger: LedgerUnderTest, key: string): Send {
  return (method, route, body) => request(ledger, method, route, { key, body });
}

/** Writes that move every kind of figure: announcements, an amendment, rates (one re-pricing rows), a withdrawal, flows. */
async function aHistory(send: Send): Promise<Seen[]> {
  const seen: Seen[] = [];
  const note = async () => {
    const bodies: string[] = [];
    for (const query of QUERIES) bodies.push(expectStatus(await send('GET', `/totals?${query}`), 200).text);
    seen.push({ position: (JSON.parse(bodies[0] as string) as { position: string }).position, bodies });
  };
  await note();
  const thirty = expectStatus(await send('POST', '/announcements', theThirtyMillion()), 201).json as { id: string };
  await note();
  expectStatus(await send('POST', '/exchange-rates', anExchangeRate()), 201);
  await note();
  const three = expectStatus(
    await send(
      'POST',
      '/announcements',
      theThreeMillion({ amount: { currency: 'EUR', value: '3500000.00' }, statedEquivalent: undefined }),
    ),
    201,
  ).json as { id: string };
  await note();
  expectStatus(
    await send('POST', `/announcements/${thirty.id}/amendments`, {
      changes: { allocations: theSummitSplit() },
      reason: 'split at the summit',
    }),
    200,
  );
  await note();
  // A rate for the day already converted: the rows on it are re-priced, and answers from then on cite it.
  expectStatus(await send('POST', '/exchange-rates', anExchangeRate({ rate: '1.2', source: 'a correction' })), 201);
  await note();
  expectStatus(await send('POST', `/announcements/${thirty.id}/commitments`, { value: '5000000.00', on: '2025-04-01' }), 201);
  await note();
  expectStatus(await send('POST', `/announcements/${three.id}/withdrawal`, { reason: 'announced in error' }), 200);
  await note();
  return seen;
}

/** The service logged `message` once, as a warning (with `fields`), and no stack trace at all. */
function expectOneWarning(service: ChildLedger, message: string, fields: Record<string, unknown> = {}): void {
  const warnings = service
    .output()
    .split('\n')
    .filter((line) => line.includes(message));
  expect(warnings).toHaveLength(1);
  expect(JSON.parse(warnings[0] as string)).toMatchObject({ level: 40, ...fields });
  expect(service.output()).not.toMatch(/"stack"|\\n\s+at /);
}

async function expectAsOfAsSeen(send: Send, seen: readonly Seen[]): Promise<void> {
  for (const moment of seen)
    for (const [index, query] of QUERIES.entries())
      expect(expectStatus(await send('GET', `/totals?${query}&asOf=${moment.position}`), 200).text).toBe(moment.bodies[index]);
}

describe('as-of answers from the history of the totals', () => {
  it('are the live answers given at each moment, before and after a restart from a snapshot, and after the history is lost', async () => {
    const ledger = await aLedgerWithProgrammes();
    const key = ledger.adminKey;
    const seen = await aHistory(sendTo(ledger, key));
    await expectAsOfAsSeen(sendTo(ledger, key), seen);

    const restarted = await ledger.restart();
    await expectAsOfAsSeen(sendTo(restarted, key), seen);

    // Without its history the snapshot is not used: every event is folded again, and the history with it.
    await restarted.close();
    rmSync(path.join(restarted.dataDir, 'history'), { recursive: true, force: true });
    const rebuilt = await restarted.restart();
    await expectAsOfAsSeen(sendTo(rebuilt, key), seen);
  }, 60_000);

  it('at a time: the moment before the first event recorded after it', async () => {
    const ledger = await aLedgerWithProgrammes();
    const send = sendTo(ledger, ledger.adminKey);
    const seen = await aHistory(send);
    const items = (
      expectStatus(await send('GET', '/events?limit=100'), 200).json as { items: { position: string; metadata: { recordedAt: string } }[] }
    ).items;
    const events = { items: items.map((item) => ({ position: item.position, recordedAt: item.metadata.recordedAt })) };
    for (const moment of seen.slice(1)) {
      const event = events.items.find((item) => item.position === moment.position);
      expect(event).toBeDefined();
      const body = expectStatus(await send('GET', `/totals?${QUERIES[0]}&asOf=${encodeURIComponent(event?.recordedAt ?? '')}`), 200).text;
      // Events recorded in the same millisecond fall in one moment: the answer is the last of them.
      const last = [...seen]
        .reverse()
        .find((other) => events.items.find((item) => item.position === other.position)?.recordedAt === event?.recordedAt);
      expect(body).toBe(last?.bodies[0]);
    }
  }, 60_000);
});

describe.skipIf(!canMountTmpfs())('a full disk under the history of the totals', () => {
  it('stops the history (logged once), as-of answers are rebuilt instead, and a restart with space rebuilds the history', async () => {
    const dataDir = tempDataDir();
    let service: ChildLedger | undefined;
    const stop = async (): Promise<void> => {
      service?.signal('SIGTERM');
      await service?.exited;
    };
    const history = mountTmpfsAt(path.join(dataDir, 'history'), '1m', stop);
    service = await startChildLedger({ dataDir });
    const key = readFileSync(adminKeyPath(dataDir), 'utf8').trim();
    const send: Send = (method, route, body) => {
      return request((service as ChildLedger).baseUrl, method, route, { key, body });
    };
    for (const programme of theProgrammes()) expectStatus(await send('POST', '/programmes', programme), 201);
    const filler = path.join(history, 'filler');
    fillDisk(filler);
    const seen = await aHistory(send);
    // The first as-of read writes what the history buffered, meets the full disk, and is answered by a rebuild.
    await expectAsOfAsSeen(send, seen);
    expectOneWarning(service, 'the history of the totals stopped recording', { reason: 'the disk is full (ENOSPC)' });

    // Space freed and a restart: the snapshot is not trusted with a broken history; everything is folded again.
    rmSync(filler);
    await stop();
    service = await startChildLedger({ dataDir });
    expect(service.output()).toContain('the history of the totals (DATA_DIR/history) does not reach the snapshot');
    await expectAsOfAsSeen(send, seen);
    writeFileSync(path.join(history, 'probe'), 'room again');
  }, 120_000);
});

/** The admin key a child ledger wrote into its data directory at its first start. */
const keyOf = (dataDir: string): string => readFileSync(adminKeyPath(dataDir), 'utf8').trim();

/** The programmes registered, then aHistory: with HISTORY_BASE_EVERY_EVENTS=2, a base every other event. */
async function aHistoryWithBases(send: Send): Promise<Seen[]> {
  for (const programme of theProgrammes()) expectStatus(await send('POST', '/programmes', programme), 201);
  return aHistory(send);
}

/** A file of the history's last base. */
function lastBaseFile(dataDir: string, file: string): string {
  const bases = path.join(dataDir, 'history', 'bases');
  const last = Math.max(
    ...readdirSync(bases)
      .filter((name) => /^[0-9]+$/.test(name))
      .map(Number),
  );
  return path.join(bases, String(last), file);
}

describe('a damaged history of the totals', () => {
  // The cells are read as a past state is made; a conversion's sums as the query first asks for them (the route then
  // answers again from a rebuild).
  it.each(['cells.bin', 'EUR.bin'])(
    "in a base's %s is found by the as-of answer that reads it: answered by a rebuild, logged once, and rebuilt at the next start",
    async (file) => {
      const env = { HISTORY_BASE_EVERY_EVENTS: '2' };
      let service = await startChildLedger({ env });
      const { dataDir } = service;
      const send: Send = (method, route, body) => request(service.baseUrl, method, route, { key: keyOf(dataDir), body });
      const seen = await aHistoryWithBases(send);
      // The last base's file, read by every as-of answer from that base on (each base file is checked once a process).
      flipBit(lastBaseFile(dataDir, file));
      await expectAsOfAsSeen(send, seen);
      expectOneWarning(service, 'the history of the totals is damaged');

      // A restart folds every event again, rebuilding the history, and answers from it once more.
      service.signal('SIGTERM');
      await service.exited;
      service = await startChildLedger({ dataDir, env });
      expect(service.output()).toContain('does not reach the snapshot');
      await expectAsOfAsSeen(send, seen);
      expect(service.output()).not.toContain('the history of the totals is damaged');
      service.signal('SIGTERM');
      await service.exited;
    },
    120_000,
  );

  it('written before a restart is found by the check after start, before any as-of answer reads it', async () => {
    const env = { HISTORY_BASE_EVERY_EVENTS: '2' };
    let service = await startChildLedger({ env });
    const { dataDir } = service;
    const send: Send = (method, route, body) => request(service.baseUrl, method, route, { key: keyOf(dataDir), body });
    const seen = await aHistoryWithBases(send);
    service.signal('SIGTERM');
    await service.exited;
    flipBit(lastBaseFile(dataDir, 'slots.bin'), 0);
    service = await startChildLedger({ dataDir, env });
    // Nothing asked for a past answer: only the check after start reads that base.
    await expect.poll(() => service.output().includes('the history of the totals is damaged'), { timeout: 10_000 }).toBe(true);
    expectOneWarning(service, 'the history of the totals is damaged');
    await expectAsOfAsSeen(send, seen);
    service.signal('SIGTERM');
    await service.exited;
  }, 120_000);
});
