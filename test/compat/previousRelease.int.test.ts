// A ledger written by the previous release opens with the same answer, byte for byte, to every read it was asked then.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startInjectedLedger } from '../support/ledger.js';
import {
  COMPARED_HEADERS,
  FIXTURE_ENV,
  maskVolatile,
  PREVIOUS_RELEASE_DIR,
  readRecordedAnswers,
  SIGNING_KEY_FILE,
  STORE_FILE,
  type RecordedAnswer,
} from './recordedAnswers.js';

const { answers } = readRecordedAnswers();

/** A copy of the fixture's store and signing key: the ledger may write beside them (keys, snapshots), never into the fixture. */
function aCopyOfTheFixture(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'funding-ledger-previous-release-'));
  onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
  mkdirSync(join(dataDir, 'audit'), { mode: 0o700 });
  for (const file of [STORE_FILE, SIGNING_KEY_FILE]) {
    copyFileSync(join(PREVIOUS_RELEASE_DIR, file), join(dataDir, file));
    // git keeps no 0600: the ledger wants its files private.
    chmodSync(join(dataDir, file), 0o600);
  }
  return dataDir;
}

/** Where two bodies first differ, with a little of each around it, so a failure says what changed. */
function firstDifference(recorded: string, live: string): string {
  let at = 0;
  while (at < recorded.length && recorded[at] === live[at]) at += 1;
  const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 60), at + 60));
  return `bodies differ at character ${at}: recorded ${around(recorded)}, now ${around(live)}`;
}

/** A converted totals answer (`currency=` on a totals route, live or as of a moment): the one kind that gained a field. */
function isConvertedTotals(answer: RecordedAnswer): boolean {
  const [path, query = ''] = answer.path.split('?');
  return /^\/(totals|programmes\/[^/]+\/totals|countries\/[^/]+\/totals)$/.test(path ?? '') && new URLSearchParams(query).has('currency');
}

/**
 * The one change this release makes to existing answers (issue 20): every row and the total of a converted totals
 * answer cite the recorded rates they used, in `rates`. Each must be there; without them the body must be the recorded
 * one, byte for byte (the order of every other member kept).
 */
function withoutCitedRates(body: string, differs: (what: string) => void): Buffer {
  const parsed = JSON.parse(body) as { rows: Record<string, unknown>[]; total: Record<string, unknown> };
  for (const figures of [...parsed.rows, parsed.total]) {
    if (!Array.isArray(figures.rates)) differs(`a converted row without rates: ${JSON.stringify(figures).slice(0, 200)}`);
    delete figures.rates;
  }
  return Buffer.from(JSON.stringify(parsed));
}

describe('a ledger written by the previous release (test/fixtures/previous-release)', () => {
  it('is committed whole: the store without a -wal or -shm file, and answers recorded for every kind of read', () => {
    for (const leftover of ['-wal', '-shm', '-journal'])
      expect(existsSync(join(PREVIOUS_RELEASE_DIR, `${STORE_FILE}${leftover}`))).toBe(false);
    const routes = new Set(answers.map((answer) => `${answer.method} ${answer.path.split('?')[0]?.replace(/[0-9a-f-]{36}/, ':id')}`));
    for (const route of [
      'GET /totals',
      'GET /programmes/oic-supply-chains/totals',
      'GET /countries/RS/totals',
      'GET /announcements',
      'GET /announcements/:id',
      'GET /announcements/:id/history',
      'GET /programmes',
      'GET /exchange-rates',
      'GET /events',
      'GET /exports/totals.csv',
      'GET /exports/announcements.csv',
      'GET /exports/events.csv',
      'POST /audit/replay',
      'GET /audit/export',
      'GET /audit/checkpoint',
      'GET /audit/proofs/inclusion',
      'GET /audit/proofs/consistency',
    ]) {
      expect(routes, route).toContain(route);
    }
    expect(answers.filter((answer) => answer.path.includes('asOf=')).length).toBeGreaterThanOrEqual(10);
  });

  it('answers every recorded read as it did: status, content type and the other compared headers, and the body byte for byte (converted totals: once their cited rates are set aside)', async () => {
    const ledger = await startInjectedLedger({ dataDir: aCopyOfTheFixture(), env: FIXTURE_ENV });
    const differences: string[] = [];
    const differs = (answer: RecordedAnswer, what: string) => differences.push(`${answer.name} (${answer.method} ${answer.path}): ${what}`);
    for (const answer of answers) {
      const reply = await ledger.send(answer.method, answer.path, {
        key: ledger.adminKey,
        ...(answer.headers !== undefined && { headers: answer.headers }),
      });
      if (reply.status !== answer.status) differs(answer, `status ${reply.status}, recorded ${answer.status}: ${reply.text.slice(0, 300)}`);
      for (const header of COMPARED_HEADERS) {
        const live = reply.headers.get(header) ?? undefined;
        if (live !== answer.responseHeaders[header])
          differs(answer, `${header} ${String(live)}, recorded ${String(answer.responseHeaders[header])}`);
      }
      const recorded = readFileSync(join(PREVIOUS_RELEASE_DIR, 'answers', answer.file));
      const live =
        answer.volatileNumbers !== undefined
          ? Buffer.from(maskVolatile(reply.text, answer.volatileNumbers))
          : isConvertedTotals(answer) && reply.status === 200
            ? withoutCitedRates(reply.text, (what) => differs(answer, what))
            : reply.bytes;
      if (!live.equals(recorded)) differs(answer, firstDifference(recorded.toString('utf8'), live.toString('utf8')));
    }
    expect(differences).toEqual([]);
  });
});
