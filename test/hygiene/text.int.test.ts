// Free text refuses NUL, the other C0 controls but tab and newline, DEL and the bidirectional controls: in the API and in imports.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { forbiddenCharacterProblem } from '../../src/domain/text.js';
import { importFile } from '../../src/imports/importFile.js';
import { describeProblem } from '../../src/imports/problems.js';
import { openEmbeddedStore } from '../../src/store/embedded.js';
import { aRow, csvOf } from '../imports/rows.js';
import { announce, clientOf, expectOneFieldRefused, startTestLedger } from '../support/ledger.js';
import {
  aListeningLedgerWithTheThirtyMillion,
  aProgramme,
  anAnnouncement,
  anExchangeRate,
  registerProgrammes,
} from '../support/scenarios.js';

describe('which characters free text refuses', () => {
  it('names the first forbidden code point and what it is', () => {
    expect(forbiddenCharacterProblem('a\u0000b')).toBe('must not contain U+0000 (a control character)');
    expect(forbiddenCharacterProblem('\r')).toBe('must not contain U+000D (a control character)');
    expect(forbiddenCharacterProblem('\u001F')).toBe('must not contain U+001F (a control character)');
    expect(forbiddenCharacterProblem('\u007F')).toBe('must not contain U+007F (a control character)');
    expect(forbiddenCharacterProblem('abc\u202Edef\u0000')).toBe('must not contain U+202E (a bidirectional override)');
    expect(forbiddenCharacterProblem('\u202D')).toBe('must not contain U+202D (a bidirectional override)');
    expect(forbiddenCharacterProblem('\u202A')).toBe('must not contain U+202A (a bidirectional embedding)');
    expect(forbiddenCharacterProblem('\u2066')).toBe('must not contain U+2066 (a bidirectional isolate)');
    expect(forbiddenCharacterProblem('\u2069')).toBe('must not contain U+2069 (a bidirectional isolate)');
  });

  it('takes tab, newline and ordinary text in any script', () => {
    for (const text of ['tab\there', 'two\nlines', '£30 million – Србија, Kosovë, مرحبا', '\u200F', '\u2065', '\u2070', '\u0080']) {
      expect(forbiddenCharacterProblem(text), JSON.stringify(text)).toBeUndefined();
    }
  });
});

describe('free text over HTTP', () => {
  it('refuses a forbidden character in every free-text body field, naming field and code point, and writes nothing', async () => {
    const { ledger, created } = await aListeningLedgerWithTheThirtyMillion();
    const { id } = created;
    const api = clientOf(ledger);
    const head = await ledger.storeHead();

    expectOneFieldRefused(
      await api.post('/programmes', aProgramme({ code: 'new-one', name: 'Evil\u202Egnp.exe' })),
      'body',
      'name',
      'must not contain U+202E (a bidirectional override)',
    );
    expectOneFieldRefused(
      await api.post('/programmes', aProgramme({ code: 'new-one', description: 'NUL\u0000here' })),
      'body',
      'description',
      'must not contain U+0000 (a control character)',
    );
    expectOneFieldRefused(
      await api.post('/programmes/oic-supply-chains/rename', { name: 'A\u2066B', reason: 'renamed by the ministry' }),
      'body',
      'name',
      'must not contain U+2066 (a bidirectional isolate)',
    );
    expectOneFieldRefused(
      await api.post('/announcements', anAnnouncement({ title: 'Title\u0000' })),
      'body',
      'title',
      'must not contain U+0000 (a control character)',
    );
    expectOneFieldRefused(
      await api.post('/announcements', anAnnouncement({ programme: 'oic\u0007' })),
      'body',
      'programme',
      'must not contain U+0007 (a control character)',
    );
    expectOneFieldRefused(
      await api.post('/announcements', anAnnouncement({ tags: ['ok', 'bad\u202E'] })),
      'body',
      'tags[1]',
      'must not contain U+202E (a bidirectional override)',
    );
    expectOneFieldRefused(
      await api.post('/announcements', anAnnouncement({ source: { url: 'https://www.gov.uk/x', publisher: 'Home\u001B[31mOffice' } })),
      'body',
      'source.publisher',
      'must not contain U+001B (a control character)',
    );
    expectOneFieldRefused(
      await api.post('/announcements', anAnnouncement({ source: { url: 'https://www.gov.uk/\u202Efdp.exe' } })),
      'body',
      'source.url',
      'must not contain U+202E (a bidirectional override)',
    );
    expectOneFieldRefused(
      await api.post(`/announcements/${id}/amendments`, { changes: { title: 'A\u202Bb' }, reason: 'a fix' }),
      'body',
      'changes.title',
      'must not contain U+202B (a bidirectional embedding)',
    );
    expectOneFieldRefused(
      await api.post(`/announcements/${id}/amendments`, { changes: { country: 'GB' }, reason: 'the release\u007F says UK' }),
      'body',
      'reason',
      'must not contain U+007F (a control character)',
    );
    expectOneFieldRefused(
      await api.post(`/announcements/${id}/withdrawal`, { reason: 'announced\rin error' }),
      'body',
      'reason',
      'must not contain U+000D (a control character)',
    );
    expectOneFieldRefused(
      await api.post('/exchange-rates', anExchangeRate({ source: 'ECB\u0008' })),
      'body',
      'source',
      'must not contain U+0008 (a control character)',
    );

    expect(await ledger.storeHead()).toBe(head);
  });

  it('keeps tab and newline in a title', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);

    const created = await announce(ledger, anAnnouncement({ title: 'First line\n\tsecond line' }));

    expect(created.title).toBe('First line\n\tsecond line');
  });

  it('refuses a forbidden character in a query filter', async () => {
    const ledger = await startTestLedger();
    const api = clientOf(ledger);

    expectOneFieldRefused(
      await api.get('/announcements?programme=oic%00'),
      'query',
      'programme',
      'must not contain U+0000 (a control character)',
    );
    expectOneFieldRefused(
      await api.get('/totals?programme=%E2%80%AEoic'),
      'query',
      'programme',
      'must not contain U+202E (a bidirectional override)',
    );
    expectOneFieldRefused(await api.get('/events?actor=adm%1Bin'), 'query', 'actor', 'must not contain U+001B (a control character)');
  });
});

describe('free text in an import', () => {
  it('refuses the rows that carry a forbidden character, by line and column, CSV and JSON Lines alike', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hygiene-text-'));
    const store = openEmbeddedStore({ dataDir: path.join(root, 'data') });
    onTestFinished(async () => {
      await store.close();
      fs.rmSync(root, { recursive: true, force: true });
    });
    const run = { correlationId: 'run-1', now: () => '2025-06-01T09:00:00.000Z' };
    const csv = path.join(root, 'text.csv');
    fs.writeFileSync(
      csv,
      csvOf([
        aRow({ title: 'Evil \u202Etxt.exe' }),
        aRow({ title: 'Fine', programme: 'new-programme', programmeName: 'New\u0000' }),
        aRow({ title: 'Gone', status: 'withdrawn', withdrawalReason: 'in \u2067error' }),
      ]),
    );
    const jsonl = path.join(root, 'text.jsonl');
    fs.writeFileSync(jsonl, `${JSON.stringify({ ...anAnnouncement(), title: 'Tab\tis fine', tags: ['x\u0001'] })}\n`);

    const fromCsv = await importFile(store, csv, run);
    const fromJsonl = await importFile(store, jsonl, run);

    expect(fromCsv.problems.map(describeProblem)).toEqual([
      'line 2: title: must not contain U+202E (a bidirectional override)',
      'line 3: programmeName: must not contain U+0000 (a control character)',
      'line 4: withdrawalReason: must not contain U+2067 (a bidirectional isolate)',
    ]);
    expect(fromJsonl.problems.map(describeProblem)).toEqual(['line 1: tags[0]: must not contain U+0001 (a control character)']);
    expect([fromCsv.written, fromJsonl.written]).toEqual([false, false]);
    expect(await store.headPosition()).toBeUndefined();
  });
});
