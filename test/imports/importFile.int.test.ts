// Importing into a real embedded store: all or nothing, idempotent, never overwriting, every chain intact.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainVerifier } from '../../src/audit/verify.js';
import { announcementDecider } from '../../src/commands/announcement/decide.js';
import { announcementStream } from '../../src/commands/announcement/events.js';
import { handleCommand } from '../../src/commands/handle.js';
import { loadStream } from '../../src/commands/load.js';
import { importFile, type ImportOptions } from '../../src/imports/importFile.js';
import { describeProblem } from '../../src/imports/problems.js';
import { openEmbeddedStore, type EmbeddedEventStore } from '../../src/store/embedded.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { aLineBody, aRow, csvOf, SPLIT_ID, theSplitRows } from './rows.js';

const WITHDRAWN_ID = '7d2e0c74-1b5a-4e3f-a04c-8f9b2d3e4f50';
const RUN: ImportOptions = { correlationId: 'run-1', now: () => '2025-06-01T09:00:00.000Z' };

let root: string;
let store: EmbeddedEventStore;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-import-'));
  store = openEmbeddedStore({ dataDir: path.join(root, 'data') });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function aFile(name: string, text: string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, text);
  return file;
}

async function allEvents(): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readAll()) events.push(event);
  return events;
}

const goodRows = [
  aRow(),
  ...theSplitRows({ programmeName: '' }),
  aRow({ id: WITHDRAWN_ID, status: 'withdrawn', withdrawalReason: 'announced twice', title: 'A duplicate' }),
];

describe('importing a file into the ledger', () => {
  it('registers unknown programmes, announces, withdraws, through the deciders: actor import, one correlation id, content keys', async () => {
    const report = await importFile(store, aFile('good.csv', csvOf(goodRows)), RUN);

    expect(report).toMatchObject({
      rowsRead: 4,
      imported: 3,
      withdrawals: 1,
      alreadyPresent: 0,
      programmesRegistered: ['cps-smuggling-prosecutions', 'wb-summit'],
      badRows: 0,
      written: true,
    });
    const events = await allEvents();
    expect(events.map((e) => [e.stream, e.type])).toEqual([
      ['programme-cps-smuggling-prosecutions', 'ProgrammeRegistered'],
      ['programme-wb-summit', 'ProgrammeRegistered'],
      [expect.stringMatching(/^announcement-/), 'FundingAnnounced'],
      [announcementStream(SPLIT_ID), 'FundingAnnounced'],
      [announcementStream(WITHDRAWN_ID), 'FundingAnnounced'],
      [announcementStream(WITHDRAWN_ID), 'FundingWithdrawn'],
    ]);
    expect(events.map((e) => e.data.name).slice(0, 2)).toEqual([
      'Crown Prosecution Service: prosecuting organised international smugglers',
      'wb-summit',
    ]);
    for (const event of events) {
      expect(event.metadata).toMatchObject({
        actor: 'import',
        correlationId: 'run-1',
        recordedAt: '2025-06-01T09:00:00.000Z',
        idempotencyKey: expect.stringMatching(/^import:/),
      });
    }
    expect(events[3]!.metadata.idempotencyKey).toMatch(/^import:[0-9a-f]{64}$/);
    expect(events[3]!.data).toMatchObject({
      allocations: [
        { country: 'RS', amount: { currency: 'EUR', minor: 6000 } },
        { country: 'XK', amount: { currency: 'EUR', minor: 4000 } },
      ],
    });
    const verifier = new ChainVerifier();
    for (const event of events) verifier.check(event);
    expect(verifier.report()).toMatchObject({ ok: true, events: 6 });
  });

  it('adds nothing the second time: every announcement is already present', async () => {
    const file = aFile('good.csv', csvOf(goodRows));
    await importFile(store, file, RUN);
    const head = await store.headPosition();

    const again = await importFile(store, file, { ...RUN, correlationId: 'run-2' });

    expect(again).toMatchObject({ imported: 0, withdrawals: 0, alreadyPresent: 3, programmesRegistered: [], badRows: 0, written: false });
    expect(await store.headPosition()).toEqual(head);
  });

  it('appends nothing when one row is bad, and names it', async () => {
    const file = aFile('bad.csv', csvOf([...goodRows, aRow({ title: 'bad', amount: '30,000,000' })]));

    const report = await importFile(store, file, RUN);

    expect(report).toMatchObject({ written: false, imported: 0, badRows: 1 });
    expect(report.problems.map(describeProblem)).toEqual(['line 6: amount: must be a decimal string such as "30000000.00"']);
    expect(await store.headPosition()).toBeUndefined();
  });

  it('with skipInvalid imports the good announcements and still lists the bad rows', async () => {
    const file = aFile('bad.csv', csvOf([aRow({ title: 'bad', announcedOn: '31/03/2025' }), ...goodRows]));

    const report = await importFile(store, file, { ...RUN, skipInvalid: true });

    expect(report).toMatchObject({ written: true, imported: 3, badRows: 1 });
    expect(report.problems.map(describeProblem)).toEqual(['line 2: announcedOn: must be a calendar date as YYYY-MM-DD']);
  });

  it('in a dry run reports what would be written and writes nothing', async () => {
    const report = await importFile(store, aFile('good.csv', csvOf(goodRows)), { ...RUN, dryRun: true });

    expect(report).toMatchObject({
      written: false,
      imported: 3,
      withdrawals: 1,
      programmesRegistered: ['cps-smuggling-prosecutions', 'wb-summit'],
    });
    expect(await store.headPosition()).toBeUndefined();
  });

  it('refuses an id the ledger holds with other content: a conflict, never an overwrite', async () => {
    await importFile(store, aFile('good.csv', csvOf(goodRows)), RUN);
    const head = await store.headPosition();
    const changed = goodRows.map((row) => (row.id === SPLIT_ID ? { ...row, title: 'Changed title' } : row));

    const report = await importFile(store, aFile('changed.csv', csvOf([...changed, aRow({ title: 'new one' })])), RUN);

    expect(report.problems.map(describeProblem)).toEqual([
      `line 3: id: announcement ${SPLIT_ID} is already in the ledger with different content; an import never changes it (amend it through the API)`,
    ]);
    expect(report.written).toBe(false);
    expect(await store.headPosition()).toEqual(head);
  });

  it('treats an announcement amended to the same content as already present', async () => {
    await importFile(store, aFile('good.csv', csvOf(goodRows)), RUN);
    const metadata = { actor: 'clerk', correlationId: 'c', causationId: 'c', now: '2025-06-02T09:00:00.000Z' };
    await handleCommand(
      store,
      announcementDecider,
      announcementStream(SPLIT_ID),
      {
        type: 'AmendFunding',
        data: { announcementId: SPLIT_ID, changes: { title: 'Amended' }, reason: 'typo' },
        context: { programmeRegistered: true },
      },
      { metadata },
    );

    const stale = await importFile(store, aFile('good.csv', csvOf(goodRows)), RUN);
    const current = await importFile(
      store,
      aFile('current.csv', csvOf(goodRows.map((row) => (row.id === SPLIT_ID ? { ...row, title: 'Amended' } : row)))),
      RUN,
    );

    expect(stale.problems.map((p) => p.line)).toEqual([3]);
    expect(current).toMatchObject({ alreadyPresent: 3, badRows: 0 });
  });

  it('completes a withdrawal an earlier run did not record, and refuses one the file contradicts', async () => {
    const active = goodRows.map((row) => (row.id === WITHDRAWN_ID ? { ...row, status: 'active', withdrawalReason: '' } : row));
    await importFile(store, aFile('active.csv', csvOf(active)), RUN);

    const completed = await importFile(store, aFile('good.csv', csvOf(goodRows)), RUN);
    const contradicted = await importFile(store, aFile('active.csv', csvOf(active)), RUN);
    const otherReason = await importFile(
      store,
      aFile('reason.csv', csvOf(goodRows.map((row) => (row.id === WITHDRAWN_ID ? { ...row, withdrawalReason: 'other reason' } : row)))),
      RUN,
    );

    expect(completed).toMatchObject({ imported: 0, withdrawals: 1, alreadyPresent: 2, written: true });
    expect((await loadStream(store, announcementDecider, announcementStream(WITHDRAWN_ID))).state).toMatchObject({
      status: 'withdrawn',
      withdrawalReason: 'announced twice',
    });
    expect(contradicted.problems.map(describeProblem)).toEqual([
      `line 5: status: announcement ${WITHDRAWN_ID} is withdrawn in the ledger but active in this file`,
    ]);
    expect(otherReason.problems.map(describeProblem)).toEqual([
      `line 5: withdrawalReason: announcement ${WITHDRAWN_ID} was withdrawn in the ledger for another reason: "announced twice"`,
    ]);
  });

  it('reads JSON Lines the same way', async () => {
    const body = aLineBody();
    const file = aFile(
      'a.jsonl',
      `${JSON.stringify(body)}\n${JSON.stringify({ ...body, title: 'Withdrawn', status: 'withdrawn', withdrawalReason: 'in error' })}\n`,
    );

    const first = await importFile(store, file, RUN);
    const second = await importFile(store, file, RUN);

    expect(first).toMatchObject({
      format: 'jsonl',
      rowsRead: 2,
      imported: 2,
      withdrawals: 1,
      programmesRegistered: ['wb-summit'],
      written: true,
    });
    expect(second).toMatchObject({ imported: 0, alreadyPresent: 2, written: false });
  });

  it('refuses a file that is neither .csv nor .jsonl before reading it', async () => {
    await expect(importFile(store, aFile('a.xlsx', ''), RUN)).rejects.toThrow('give a .csv file');
  });
});
