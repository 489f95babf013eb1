// `ledger replay`, run as a child process: a rebuild from the data directory or from an export, compared by digest.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonOf, ledger, recordLedger, type RecordedLedger } from './ledgerCli.js';

let root: string;
let dataDir: string;
let exportFile: string;
let recorded: RecordedLedger;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-cli-replay-'));
  dataDir = path.join(root, 'data');
  recorded = await recordLedger(dataDir);
  exportFile = path.join(root, 'export.jsonl');
  fs.writeFileSync(exportFile, recorded.exported);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** After the history: the £30m (split RS/XK) and the €2m Balkans announcement; the £3m was withdrawn. */
const TOTAL = {
  count: 2,
  amounts: [
    { currency: 'EUR', value: '2000000.00' },
    { currency: 'GBP', value: '30000000.00' },
  ],
};

describe('ledger replay', () => {
  it('rebuilds from the data directory: the events, events per second and the digest POST /audit/replay gave at the same position', async () => {
    const { digest } = recorded.replay;

    const plain = await ledger(['replay', '--data-dir', dataDir]);
    const json = await ledger(['replay', '--json', '--data-dir', dataDir]);

    expect(recorded.replay).toMatchObject({ match: true, events: 9, position: '9' });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^events: 9\nposition: 9\nseconds: [0-9.]+\nevents\/s: [0-9]+\n/);
    expect(plain.stdout).toContain(`digest: ${digest}\n`);
    expect(plain.stdout).toContain('total: EUR 2000000.00, GBP 30000000.00 (2 announcements)\n');
    // Not a terminal: no progress bar (and a ledger this small prints no progress line at all).
    expect(plain.stderr).toBe('');
    expect(json.code).toBe(0);
    const report = jsonOf(json);
    expect(report).toMatchObject({ match: true, events: 9, position: '9', digest, total: TOTAL });
    expect(report.eventsPerSecond).toBeGreaterThan(0);
  });

  it('exits 0 with --expect and the right digest, 1 printing MISMATCH with a wrong one', async () => {
    const { digest } = recorded.replay;
    const wrong = digest.replace(/^./, (c) => (c === '0' ? '1' : '0'));

    const matching = await ledger(['replay', '--expect', digest, '--data-dir', dataDir]);
    const mismatching = await ledger(['replay', '--expect', wrong, '--data-dir', dataDir]);

    expect(matching.code).toBe(0);
    expect(matching.stdout).toContain('digest matches\n');
    expect(mismatching.code).toBe(1);
    expect(mismatching.stdout).toContain(`MISMATCH: expected ${wrong}\n`);
    expect(mismatching.stdout).toContain(`digest: ${digest}\n`);
  });

  it('rebuilds from an export file alone, with no data directory, to the same digest and totals', async () => {
    const { digest } = recorded.replay;
    const cwd = path.join(root, 'offline');
    fs.mkdirSync(cwd);

    const fromExport = await ledger(['replay', '--json', '--from-export', exportFile, '--expect', digest], { cwd });

    expect(fromExport.code).toBe(0);
    expect(jsonOf(fromExport)).toMatchObject({ match: true, events: 9, position: '9', digest, expectedDigest: digest, total: TOTAL });
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('rebuilds from the file `ledger audit export` wrote, to the same digest', async () => {
    const out = path.join(root, 'cli-export.jsonl');
    expect((await ledger(['audit', 'export', '--out', out, '--data-dir', dataDir])).code).toBe(0);

    const ran = await ledger(['replay', '--json', '--from-export', out]);

    expect(jsonOf(ran)).toMatchObject({ match: true, events: 9, digest: recorded.replay.digest });
  });

  it('fails on an export file that does not exist', async () => {
    const ran = await ledger(['replay', '--from-export', path.join(root, 'missing.jsonl')]);

    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^ledger: .*ENOENT/);
  });
});
