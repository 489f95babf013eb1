// `ledger audit verify | export | verify-export`, run as a child process against a data directory the real service wrote.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedDatabasePath } from '../../src/store/embedded.js';
import { jsonOf, ledger, recordLedger, type RecordedLedger } from './ledgerCli.js';

let root: string;
let dataDir: string;
let recorded: RecordedLedger;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-cli-audit-'));
  dataDir = path.join(root, 'data');
  recorded = await recordLedger(dataDir);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A copy of the recorded data directory, altered offline with SQL straight on its events.sqlite. */
function tamperedCopy(name: string, ...statements: [sql: string, ...params: unknown[]][]): string {
  const copy = path.join(root, name);
  fs.cpSync(dataDir, copy, { recursive: true });
  const db = new Database(embeddedDatabasePath(copy));
  try {
    for (const [sql, ...params] of statements) expect(db.prepare(sql).run(...params).changes, sql).toBe(1);
  } finally {
    db.close();
  }
  return copy;
}

function dataOf(dir: string, position: number): Record<string, unknown> {
  const db = new Database(embeddedDatabasePath(dir), { readonly: true });
  try {
    const row = db.prepare('SELECT data FROM events WHERE position = ?').get(position) as { data: string };
    return JSON.parse(row.data) as Record<string, unknown>;
  } finally {
    db.close();
  }
}

/** An empty directory to run a command in: no data directory, no DATA_DIR. */
function anEmptyDirectory(name: string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  return dir;
}

describe('ledger audit verify', () => {
  it('walks every chain of an intact ledger and exits 0, taking --data-dir or DATA_DIR', async () => {
    // One after the other: a command holds the data directory exclusively while it runs, as the service does.
    const plain = await ledger(['audit', 'verify', '--data-dir', dataDir]);
    const fromEnv = await ledger(['audit', 'verify', '--json'], { env: { DATA_DIR: dataDir } });

    expect(plain).toMatchObject({ code: 0, stdout: 'events checked: 9\nstreams: 6\nlast position: 9\nevery chain is intact\n' });
    expect(fromEnv.code).toBe(0);
    expect(jsonOf(fromEnv)).toEqual({ ok: true, events: 9, streams: 6, lastPosition: '9', breaks: 0 });
  });

  it('names the event whose data was edited in events.sqlite: its stream, revision and position; exits 1', async () => {
    const { thirty } = recorded.history;
    const data = dataOf(dataDir, 3);
    const edited = tamperedCopy('edited-data', [
      'UPDATE events SET data = ? WHERE position = 3',
      JSON.stringify({ ...data, amount: { currency: 'GBP', minor: 30_000_000_000 } }),
    ]);

    const plain = await ledger(['audit', 'verify', '--data-dir', edited]);
    const json = await ledger(['audit', 'verify', '--json', '--data-dir', edited]);

    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain('events checked: 9\n');
    expect(plain.stdout).toContain(
      `1 broken link(s); first broken link: announcement-${thirty} revision 0 (FundingAnnounced) at position 3: hash does not match the event content`,
    );
    expect(json.code).toBe(1);
    expect(jsonOf(json)).toMatchObject({
      ok: false,
      events: 9,
      breaks: 1,
      firstBreak: { stream: `announcement-${thirty}`, revision: '0', position: '3', type: 'FundingAnnounced' },
    });
  });

  it('reports a deleted event as the gap it leaves in its stream', async () => {
    const { thirty } = recorded.history;
    const deleted = tamperedCopy('deleted', ['DELETE FROM events WHERE position = 3']);

    const ran = await ledger(['audit', 'verify', '--json', '--data-dir', deleted]);

    expect(ran.code).toBe(1);
    expect(jsonOf(ran)).toMatchObject({
      ok: false,
      events: 8,
      firstBreak: { stream: `announcement-${thirty}`, revision: '1', position: '6', problem: 'revision 1 where 0 was expected' },
    });
  });

  it('reports swapped prevHashes: the first event that no longer links to its predecessor', async () => {
    const { thirty } = recorded.history;
    const swapped = tamperedCopy(
      'swapped',
      [
        "UPDATE events SET metadata = json_set(metadata, '$.prevHash', (SELECT json_extract(metadata, '$.prevHash') FROM events WHERE position = 7)) WHERE position = 6",
      ],
      [
        "UPDATE events SET metadata = json_set(metadata, '$.prevHash', (SELECT json_extract(metadata, '$.hash') FROM events WHERE position = 3)) WHERE position = 7",
      ],
    );

    const json = await ledger(['audit', 'verify', '--json', '--data-dir', swapped]);

    expect(json.code).toBe(1);
    expect(jsonOf(json)).toMatchObject({
      ok: false,
      breaks: 2,
      firstBreak: {
        stream: `announcement-${thirty}`,
        revision: '1',
        position: '6',
        problem: 'prevHash does not match the hash of the previous event in the stream',
      },
    });
  });
});

describe('ledger audit export', () => {
  it('writes the same JSON Lines as GET /audit/export, through a .partial file renamed at the end', async () => {
    const out = path.join(root, 'cli-export.jsonl');

    const ran = await ledger(['audit', 'export', '--out', out, '--data-dir', dataDir]);

    expect(ran.code).toBe(0);
    expect(ran.stderr).toBe(`wrote ${out}\n`);
    expect(fs.readFileSync(out, 'utf8')).toBe(recorded.exported);
    expect(fs.existsSync(`${out}.partial`)).toBe(false);
  });
});

describe('ledger audit verify-export', () => {
  /** The export of the recorded ledger, its lines changed, in a directory with no data directory. */
  function anExportIn(name: string, change: (lines: string[]) => string[] = (lines) => lines): { cwd: string; file: string } {
    const cwd = anEmptyDirectory(name);
    const lines = recorded.exported.slice(0, -1).split('\n');
    fs.writeFileSync(
      path.join(cwd, 'ledger.jsonl'),
      change(lines)
        .map((line) => `${line}\n`)
        .join(''),
    );
    return { cwd, file: 'ledger.jsonl' };
  }

  it('passes an intact export on the file alone, without a data directory or server', async () => {
    const { cwd, file } = anExportIn('verify-intact');

    const [plain, json] = await Promise.all([
      ledger(['audit', 'verify-export', file], { cwd }),
      ledger(['audit', 'verify-export', file, '--json'], { cwd }),
    ]);

    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(
      new RegExp(
        '^events checked: 9\nstreams: 6\nlast position: 9\n' +
          'checkpoint: funding-ledger/[0-9a-f]{16}, tree size 9, root [A-Za-z0-9+/]{43}=\n' +
          "checkpoint signature: verified with the key the export's manifest names funding-ledger/[0-9a-f]{16}\\+[0-9a-f]{8} \\(this shows the file is as signed, not who signed it: pass --verifier-key with the ledger's published key\\)\n" +
          "checkpoint: the file's 9 events have its root\n" +
          'the export is intact\n$',
      ),
    );
    expect(jsonOf(json)).toMatchObject({
      ok: true,
      events: 9,
      streams: 6,
      lastPosition: '9',
      breaks: 0,
      manifestProblems: [],
      earlier: null,
    });
    expect(jsonOf(json).checkpoint).toMatchObject({
      status: 'verified',
      treeSize: 9,
      problems: [],
      signature: { verified: true, keySource: 'manifest' },
    });
    expect(fs.readdirSync(cwd)).toEqual(['ledger.jsonl']);
  });

  it('fails, naming the problem, when one line is edited, when a line is removed, and when the manifest count is wrong', async () => {
    const { thirty, three } = recorded.history;
    const edited = anExportIn('verify-edited', (lines) =>
      lines.map((line, index) =>
        index === 2
          ? line.replace('"value":"30000000.00"', '"value":"3000000.00"').replace('"minor":3000000000', '"minor":300000000')
          : line,
      ),
    );
    const removed = anExportIn('verify-removed', (lines) => lines.filter((_line, index) => index !== 3));
    const miscounted = anExportIn('verify-miscounted', (lines) =>
      lines.map((line, index) => (index === 9 ? line.replace('"count":9', '"count":10') : line)),
    );
    expect(fs.readFileSync(path.join(edited.cwd, edited.file), 'utf8')).not.toBe(recorded.exported);

    const verifyExport = ({ cwd, file }: { cwd: string; file: string }) => ledger(['audit', 'verify-export', file], { cwd });
    const [afterEdit, afterRemoval, withWrongCount] = await Promise.all([
      verifyExport(edited),
      verifyExport(removed),
      verifyExport(miscounted),
    ]);

    expect(afterEdit.code).toBe(1);
    expect(afterEdit.stdout).toContain(
      `first broken link: announcement-${thirty} revision 0 (FundingAnnounced) at position 3: hash does not match`,
    );
    expect(afterEdit.stdout).toContain('manifest: manifest sha256 does not match the event lines\n');
    expect(afterRemoval.code).toBe(1);
    expect(afterRemoval.stdout).toContain(
      `first broken link: announcement-${three} revision 1 (FundingWithdrawn) at position 7: revision 1 where 0 was expected`,
    );
    expect(afterRemoval.stdout).toContain('manifest: manifest count 9 but the file holds 8 events\n');
    expect(withWrongCount.code).toBe(1);
    expect(withWrongCount.stdout).toMatch(
      /^events checked: 9\nstreams: 6\nlast position: 9\nmanifest: manifest count 10 but the file holds 9 events\ncheckpoint: /,
    );
    expect(withWrongCount.stdout).not.toContain('the export is intact');
  });

  it('fails on a line that is not JSON, naming the line', async () => {
    const { cwd, file } = anExportIn('verify-garbled', (lines) => lines.map((line, index) => (index === 4 ? line.slice(0, 40) : line)));

    const ran = await ledger(['audit', 'verify-export', file], { cwd });

    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^ledger: line 5 is not JSON/);
  });
});
