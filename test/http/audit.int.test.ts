// The auditors' routes over real HTTP: the global journal, a replay compared with the live projections, the JSON Lines export.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventHash, GENESIS_HASH } from '../../src/audit/chain.js';
import { EXPORT_FORMAT, verifyExportFile } from '../../src/audit/exportFile.js';
import { Clock, recordedAtOf, writeHistory } from '../audit/ledgerHistory.js';
import type { TotalsState } from '../../src/projections/models/totals/state.js';
import { clientOf, errorFieldsOf, startTestLedger, type Reply, type TestLedger } from '../support/ledger.js';

interface JournalItem {
  position: string;
  stream: string;
  revision: number;
  id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  hash: string;
  /** The event's leaf in the journal tree (test/http/auditProofs.int.test.ts proves it). */
  leafIndex: number | null;
}

/** The nine-event history of ledgerHistory.ts, with an audit-only key and a read-only key beside admin and clerk. */
async function anAuditedLedger() {
  const clock = new Clock(recordedAtOf(1));
  const ledger = await startTestLedger({ now: clock.now });
  const clerk = ledger.createKey('clerk', ['read', 'write']);
  const keys = { auditor: ledger.createKey('auditor', ['audit']), reader: ledger.createKey('reader', ['read']), writer: clerk };
  const history = await writeHistory(ledger.baseUrl, { admin: ledger.adminKey, clerk }, clock);
  return { ledger, history, keys, audit: clientOf(ledger, keys.auditor) };
}

const itemsOf = (reply: Reply): JournalItem[] => reply.json.items as JournalItem[];
const positionsOf = (reply: Reply): string[] => itemsOf(reply).map((item) => item.position);

async function wholeJournal(ledger: TestLedger, key: string, query = ''): Promise<{ items: JournalItem[]; pages: number }> {
  const items: JournalItem[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const reply = await clientOf(ledger, key).get(`/events?${query}${cursor === null ? '' : `&after=${cursor}`}`);
    expect(reply.status).toBe(200);
    items.push(...itemsOf(reply));
    pages += 1;
    cursor = reply.json.nextCursor as string | null;
  } while (cursor !== null && pages < 50);
  return { items, pages };
}

describe('GET /events: the global journal', () => {
  it('lists every event in position order with { position, stream, revision, id, type, data, metadata, hash, leafIndex }, nextCursor null at the end', async () => {
    const { history, audit } = await anAuditedLedger();

    const reply = await audit.get('/events');

    expect(reply.status).toBe(200);
    expect(positionsOf(reply)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(reply.json.nextCursor).toBeNull();
    expect(itemsOf(reply).map((item) => item.type)).toEqual([
      'ProgrammeRegistered',
      'ProgrammeRegistered',
      'FundingAnnounced',
      'FundingAnnounced',
      'ExchangeRateRecorded',
      'FundingAmended',
      'FundingWithdrawn',
      'ProgrammeRenamed',
      'FundingAnnounced',
    ]);
    const amended = itemsOf(reply)[5]!;
    expect(Object.keys(amended).sort()).toEqual(['data', 'hash', 'id', 'leafIndex', 'metadata', 'position', 'revision', 'stream', 'type']);
    expect(amended).toMatchObject({
      position: '6',
      stream: `announcement-${history.thirty}`,
      revision: 1,
      type: 'FundingAmended',
      leafIndex: 5,
      data: { announcementId: history.thirty, reason: 'split between Serbia and Kosovo' },
      metadata: { actor: 'admin', recordedAt: recordedAtOf(6), prevHash: itemsOf(reply)[2]!.hash },
    });
    expect(amended.metadata).not.toHaveProperty('hash');
  });

  it("carries each event's hash, recomputable from the item, chained to the previous event of its stream", async () => {
    const { audit } = await anAuditedLedger();

    const items = itemsOf(await audit.get('/events'));

    const lastHash = new Map<string, string>();
    for (const item of items) {
      expect(item.hash).toBe(eventHash({ ...item, revision: BigInt(item.revision) }));
      expect(item.metadata.prevHash).toBe(lastHash.get(item.stream) ?? GENESIS_HASH);
      if (item.revision === 0) expect(item.metadata.prevHash).toBe(GENESIS_HASH);
      lastHash.set(item.stream, item.hash);
    }
  });

  it('pages with after=nextCursor until nextCursor is null, every event exactly once', async () => {
    const { ledger, keys } = await anAuditedLedger();
    const whole = itemsOf(await clientOf(ledger, keys.auditor).get('/events'));

    const paged = await wholeJournal(ledger, keys.auditor, 'limit=2');
    const firstPage = await clientOf(ledger, keys.auditor).get('/events?limit=2');
    const fromFour = await clientOf(ledger, keys.auditor).get('/events?after=4&limit=3');

    expect(paged.items).toEqual(whole);
    expect(paged.pages).toBe(5);
    expect(firstPage.json.nextCursor).toBe('2');
    expect(positionsOf(fromFour)).toEqual(['5', '6', '7']);
    expect(fromFour.json.nextCursor).toBe('7');
  });

  it('filters by stream (exactly), type and actor', async () => {
    const { history, audit } = await anAuditedLedger();

    const thirty = await audit.get(`/events?stream=announcement-${history.thirty}`);
    const announced = await audit.get('/events?type=FundingAnnounced');
    const byClerk = await audit.get('/events?actor=clerk');
    const announcedByAdmin = await audit.get('/events?type=FundingAnnounced&actor=admin');
    const prefixOnly = await audit.get('/events?stream=programme-oic');

    expect(positionsOf(thirty)).toEqual(['3', '6']);
    expect(itemsOf(thirty).map((item) => item.revision)).toEqual([0, 1]);
    expect(positionsOf(announced)).toEqual(['3', '4', '9']);
    expect(positionsOf(byClerk)).toEqual(['4', '7']);
    expect(itemsOf(byClerk).every((item) => item.metadata.actor === 'clerk')).toBe(true);
    expect(positionsOf(announcedByAdmin)).toEqual(['3', '9']);
    expect(positionsOf(prefixOnly)).toEqual([]);
    expect(prefixOnly.json.nextCursor).toBeNull();
  });

  it('filters by recording time, from and to both inclusive', async () => {
    const { audit } = await anAuditedLedger();

    const between = await audit.get(`/events?from=${recordedAtOf(4)}&to=${recordedAtOf(6)}`);
    const fromOnly = await audit.get(`/events?from=${encodeURIComponent('2025-04-02T11:07:30+02:00')}`);
    const toOnly = await audit.get('/events?to=2025-04-02T09:01:59Z');

    expect(positionsOf(between)).toEqual(['4', '5', '6']);
    expect(positionsOf(fromOnly)).toEqual(['9']);
    expect(positionsOf(toOnly)).toEqual(['1', '2']);
  });

  it('pages through a filter: the cursor is the last event scanned, and the last page ends with null', async () => {
    const { ledger, keys } = await anAuditedLedger();

    const paged = await wholeJournal(ledger, keys.auditor, 'type=FundingAnnounced&limit=1');

    expect(paged.items.map((item) => item.position)).toEqual(['3', '4', '9']);
  });

  it('refuses a bad cursor, limit or time with 400 naming the field', async () => {
    const { audit } = await anAuditedLedger();

    for (const [query, field] of [
      ['after=abc', 'after'],
      // Well-formed, but not an event's position in this store: commit and prepare differ, or past a SQLite rowid.
      ['after=3-2', 'after'],
      ['after=9223372036854775808', 'after'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['from=yesterday', 'from'],
      ['to=2025-04-02', 'to'],
    ] as const) {
      const reply = await audit.get(`/events?${query}`);
      expect(reply.status, query).toBe(400);
      expect(errorFieldsOf(reply), query).toContain(field);
    }
  });
});

describe('scopes of the audit routes', () => {
  it('needs the audit scope: 200 for audit and admin keys, 403 for read-only and write keys, 401 without a key', async () => {
    const { ledger, keys } = await anAuditedLedger();
    const routes = [
      ['GET', '/events'],
      ['POST', '/audit/replay'],
      ['GET', '/audit/export'],
    ] as const;

    for (const [method, route] of routes) {
      const call = (key: string | null) =>
        method === 'GET' ? clientOf(ledger, key).get(route) : clientOf(ledger, key).post(route, undefined);
      expect((await call(keys.auditor)).status, `${route} audit`).toBe(200);
      expect((await call(ledger.adminKey)).status, `${route} admin`).toBe(200);
      const readOnly = await call(keys.reader);
      expect(readOnly.status, `${route} read`).toBe(403);
      expect(readOnly.json.detail).toMatch(/"audit" scope/);
      expect((await call(keys.writer)).status, `${route} write`).toBe(403);
      expect((await call(null)).status, `${route} anonymous`).toBe(401);
    }
  });
});

describe('POST /audit/replay', () => {
  it('rebuilds every projection from position 0 and matches the live ones on a ledger with every kind of event', async () => {
    const { audit } = await anAuditedLedger();

    const reply = await audit.post('/audit/replay', undefined);

    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ match: true, events: 9, position: '9' });
    expect(reply.json.eventsPerSecond).toBeGreaterThan(0);
    expect(reply.json.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(reply.json.liveDigest).toBe(reply.json.digest);
  });

  it('gives the same digest each time while nothing changes, and another after a write', async () => {
    const { audit, ledger, history } = await anAuditedLedger();

    const first = await audit.post('/audit/replay', undefined);
    const again = await audit.post('/audit/replay', undefined);
    await clientOf(ledger).post(`/announcements/${history.balkans}/withdrawal`, { reason: 'duplicate' });
    const after = await audit.post('/audit/replay', undefined);

    expect(again.json.digest).toBe(first.json.digest);
    expect(after.json).toMatchObject({ match: true, events: 10, position: '10' });
    expect(after.json.digest).not.toBe(first.json.digest);
  });

  it.each<[string, (states: Map<string, unknown>) => void]>([
    ['a programme forgotten', (states) => (states.get('programmes') as Map<string, unknown>).delete('oic-supply-chains')],
    [
      'an announcement shown as withdrawn',
      (states) => (states.get('announcements') as { statuses: { set(slot: number, status: number): void } }).statuses.set(0, 2),
    ],
    [
      'a totals cell altered by a penny',
      (states) => {
        const { cells } = states.get('totals') as TotalsState;
        // A cell left empty by an amendment counts for nothing; alter one that counts: a penny more, same counts.
        const cell = Array.from({ length: cells.length }, (_, number) => number).find((number) => cells.allocationsOf(number) > 0)!;
        cells.apply(cell, 1, 1, false);
        cells.apply(cell, 0, -1, false);
      },
    ],
    // The runner hands out a fresh map of its states, so the state itself is emptied back to its initial value.
    ['a projection reset to its initial state', (states) => (states.get('exchangeRates') as Map<string, unknown>).clear()],
  ])('answers match false when the live state differs from history: %s', async (_what, alter) => {
    const { audit, ledger } = await anAuditedLedger();
    const before = await audit.post('/audit/replay', undefined);

    alter(ledger.ledger.context.projections.states as Map<string, unknown>);
    const reply = await audit.post('/audit/replay', undefined);

    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ match: false, events: 9, digest: before.json.digest });
    expect(reply.json.liveDigest).not.toBe(reply.json.digest);
  });
});

describe('GET /audit/export', () => {
  it('streams JSON Lines: the journal in position order, then a manifest { format, count, lastPosition, chainHeads, sha256, checkpoint, verifierKey }', async () => {
    const { audit } = await anAuditedLedger();
    const journal = itemsOf(await audit.get('/events'));

    const reply = await audit.get('/audit/export');

    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(reply.headers.get('content-disposition')).toBe('attachment; filename="funding-ledger-audit-9.jsonl"');
    expect(reply.headers.get('transfer-encoding')).toBe('chunked');
    expect(reply.text.endsWith('\n')).toBe(true);
    const lines = reply.text.slice(0, -1).split('\n');
    expect(lines).toHaveLength(10);
    const events = lines.slice(0, 9).map((line) => JSON.parse(line));
    expect(events).toEqual(
      journal
        .map((item) => ({ ...item, revision: String(item.revision), metadata: { ...item.metadata, hash: item.hash }, hash: undefined }))
        .map(({ hash: _hash, leafIndex: _leafIndex, ...line }) => line),
    );
    const heads = Object.fromEntries(journal.map((item) => [item.stream, item.hash]));
    expect(JSON.parse(lines[9]!)).toEqual({
      format: EXPORT_FORMAT,
      count: 9,
      lastPosition: '9',
      chainHeads: Object.fromEntries(Object.entries(heads).sort(([a], [b]) => (a < b ? -1 : 1))),
      sha256: createHash('sha256')
        .update(
          lines
            .slice(0, 9)
            .map((line) => `${line}\n`)
            .join(''),
        )
        .digest('hex'),
      // The checkpoint of exactly the exported events: here every event, so the one the service publishes, byte for byte.
      checkpoint: (await audit.get('/audit/checkpoint')).text,
      verifierKey: (await audit.get('/audit/verifier-key')).text.trimEnd(),
    });
  });

  it('is a file that verifies on its own', async () => {
    const { audit, ledger } = await anAuditedLedger();

    const reply = await audit.get('/audit/export');
    const file = path.join(ledger.dataDir, 'export.jsonl');
    fs.writeFileSync(file, reply.text);

    expect(await verifyExportFile(file)).toMatchObject({ ok: true, events: 9, streams: 6, lastPosition: '9', manifestProblems: [] });
  });
});
