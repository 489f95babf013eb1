// Tampering with a stopped ledger's events.sqlite, offline, and what `ledger audit verify --checkpoint` and
// `ledger audit verify-export` make of it: a checkpoint taken before catches what the hash chains alone cannot.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventHash } from '../../src/audit/chain.js';
import type { ExportManifest } from '../../src/audit/exportFile.js';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { auditIdentityOf } from '../../src/audit/checkpoints.js';
import { leafOf } from '../../src/audit/journalTree.js';
import { MerkleTree } from '../../src/audit/merkle.js';
import { generateSignerKey } from '../../src/audit/signedNote.js';
import { readSigningKeyFile } from '../../src/audit/signingKeyFile.js';
import { embeddedDatabasePath } from '../../src/store/embedded.js';
import { jsonOf, ledger, recordLedger, type Ran } from '../cli/ledgerCli.js';
import type { History } from './ledgerHistory.js';

let root: string;
let dataDir: string;
let history: History;
/** Signed by the running service over its nine events, and over its first five. */
let checkpointFile: string;
let earlyCheckpointFile: string;
/** GET /audit/export of the nine events: a reference, and the file verify-export is tried on. */
let exported: string;
let exportFile: string;
let verifierKey: string;

const keyFileOf = (dir: string): string => path.join(dir, 'audit', 'signing.key');

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-tamper-'));
  dataDir = path.join(root, 'data');
  checkpointFile = path.join(root, 'checkpoint.txt');
  earlyCheckpointFile = path.join(root, 'checkpoint-5.txt');
  // Closing saves the snapshot whose journal tree later names the first leaf where a tampered store parts.
  const recorded = await recordLedger(dataDir, (service) => {
    fs.writeFileSync(checkpointFile, service.context.checkpoints.latest().note);
    fs.writeFileSync(earlyCheckpointFile, service.context.checkpoints.at(5).note);
    verifierKey = service.context.checkpoints.identity.verifierKeyText;
  });
  history = recorded.history;
  exported = recorded.exported;
  exportFile = path.join(root, 'ledger.jsonl');
  fs.writeFileSync(exportFile, exported);
}, 60_000);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

interface Row {
  position: number;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

/** A copy of the stopped ledger's data directory, its events.sqlite changed by `tamper`. */
function aCopy(name: string, tamper: (db: Database.Database) => void = () => undefined): string {
  const copy = path.join(root, name);
  fs.cpSync(dataDir, copy, { recursive: true });
  const db = new Database(embeddedDatabasePath(copy));
  try {
    tamper(db);
  } finally {
    db.close();
  }
  return copy;
}

const deleteAt = (db: Database.Database, ...positions: number[]): void => {
  for (const position of positions) expect(db.prepare('DELETE FROM events WHERE position = ?').run(position).changes).toBe(1);
};

/**
 * Rewrites the event at `position` with new data, and re-computes its hash and the prevHash and hash of every later
 * event of its stream: a forgery the hash chains cannot see.
 */
function rewriteWithHashes(
  db: Database.Database,
  position: number,
  change: (data: Record<string, unknown>) => Record<string, unknown>,
): void {
  const target = db.prepare('SELECT * FROM events WHERE position = ?').get(position) as Row;
  const rows = db
    .prepare('SELECT * FROM events WHERE stream = ? AND position >= ? ORDER BY revision')
    .all(target.stream, position) as Row[];
  let previous: string | undefined;
  for (const row of rows) {
    const data =
      row.position === position
        ? change(JSON.parse(row.data) as Record<string, unknown>)
        : (JSON.parse(row.data) as Record<string, unknown>);
    const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    if (previous !== undefined) metadata.prevHash = previous;
    metadata.hash = eventHash({ stream: row.stream, revision: BigInt(row.revision), type: row.type, data, metadata });
    previous = metadata.hash as string;
    db.prepare('UPDATE events SET data = ?, metadata = ? WHERE position = ?').run(
      JSON.stringify(data),
      JSON.stringify(metadata),
      row.position,
    );
  }
}

const thirtyBillion = (data: Record<string, unknown>) => ({ ...data, amount: { currency: 'GBP', minor: 3_000_000_000_000 } });

const verify = (dir: string, ...args: string[]): Promise<Ran> => ledger(['audit', 'verify', '--data-dir', dir, ...args]);
const verifyWithCheckpoint = (dir: string, ...args: string[]): Promise<Ran> => verify(dir, '--checkpoint', checkpointFile, ...args);

/**
 * Tampers with a copy of the ledger the way hash chains cannot see: plain verify passes (asserted here, with the counts
 * it reports) and verify --checkpoint exits 1. Returns the copy and that failing run, for what it names.
 */
async function chainsIntactCheckpointFails(
  name: string,
  tamper: (db: Database.Database) => void,
  intact: { events: number; streams: number; lastPosition: number },
  ...checkpointArgs: string[]
): Promise<{ copy: string; checked: Ran }> {
  const copy = aCopy(name, tamper);

  const plain = await verify(copy);
  const checked = await verifyWithCheckpoint(copy, ...checkpointArgs);

  const { events, streams, lastPosition } = intact;
  expect(plain).toMatchObject({
    code: 0,
    stdout: `events checked: ${events}\nstreams: ${streams}\nlast position: ${lastPosition}\nevery chain is intact\n`,
  });
  expect(checked.code).toBe(1);
  return { copy, checked };
}

describe('ledger audit verify --checkpoint', () => {
  it("passes an untouched copy: signature by the ledger's key, the root of its nine events, consistent; exits 0", async () => {
    const copy = aCopy('untouched');

    const plain = await verifyWithCheckpoint(copy);
    const json = await verifyWithCheckpoint(copy, '--json');
    const early = await verify(copy, '--checkpoint', earlyCheckpointFile);

    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^events checked: 9\nstreams: 6\nlast position: 9\nevery chain is intact\n/);
    expect(plain.stdout).toMatch(/\ncheckpoint: funding-ledger\/[0-9a-f]{16}, tree size 9, root [A-Za-z0-9+/]{43}=\n/);
    expect(plain.stdout).toMatch(/\nsignature: verified with the ledger's own key funding-ledger\/[0-9a-f]{16}\+[0-9a-f]{8}\n/);
    expect(plain.stdout).toContain(
      "store: 9 events; its first 9 have the checkpoint's root, and its tree now is consistent with it\nthe store matches the checkpoint\n",
    );
    expect(jsonOf(json)).toMatchObject({
      ok: true,
      chainsOk: true,
      events: 9,
      checkpoint: {
        ok: true,
        treeSize: 9,
        storeEvents: 9,
        rootMatches: true,
        consistent: true,
        firstDifference: null,
        problems: [],
        signature: { verified: true, keySource: 'ledger' },
      },
    });
    expect(early.code).toBe(0);
    expect(early.stdout).toContain("store: 9 events; its first 5 have the checkpoint's root, and its tree now is consistent with it\n");
  });

  it("(a) a stream's last event deleted: the chains stay intact, so plain verify passes; the checkpoint names leaf 6, the removed event", async () => {
    // The honest limit of hash chains: a stream cut short at its end is still a valid chain.
    const { copy, checked } = await chainsIntactCheckpointFails('last-of-stream', (db) => deleteAt(db, 7), {
      events: 8,
      streams: 6,
      lastPosition: 9,
    });

    expect(checked.stdout).toContain("problem: the store holds 8 events, fewer than the checkpoint's tree size 9\n");
    expect(checked.stdout).toContain(`first differing leaf: 6 (reference: the snapshot in ${copy})\n`);
    expect(checked.stdout).toMatch(
      /\n {2}store: {5}programme-[a-z-]+ revision 1 \(ProgrammeRenamed\) at position 8, leaf hash [0-9a-f]{64}\n/,
    );
    expect(checked.stdout).toMatch(
      /\n {2}reference: the event at position 7, leaf hash [0-9a-f]{64}\n {2}the event at position 7 is not in the store: removed\n/,
    );
    expect(checked.stdout).toMatch(/the store does NOT match the checkpoint\n$/);
  });

  it('(b) a whole stream deleted: plain verify passes, the checkpoint names its first event', async () => {
    const { copy, checked } = await chainsIntactCheckpointFails(
      'whole-stream',
      (db) => deleteAt(db, 4, 7),
      { events: 7, streams: 5, lastPosition: 9 },
      '--json',
    );

    expect(jsonOf(checked)).toMatchObject({
      ok: false,
      chainsOk: true,
      checkpoint: {
        ok: false,
        storeEvents: 7,
        firstDifference: {
          leaf: 3,
          reference: `the snapshot in ${copy}`,
          store: { position: '5', type: 'ExchangeRateRecorded' },
          expected: { position: '4' },
          verdict: 'the event at position 4 is not in the store: removed',
        },
      },
    });
  });

  it("(c) the journal's tail deleted: the store ends early, at leaf 7", async () => {
    const { copy, checked } = await chainsIntactCheckpointFails('tail', (db) => deleteAt(db, 8, 9), {
      events: 7,
      streams: 5,
      lastPosition: 7,
    });

    expect(checked.stdout).toContain("problem: the store holds 7 events, fewer than the checkpoint's tree size 9\n");
    expect(checked.stdout).toContain(`first differing leaf: 7 (reference: the snapshot in ${copy})\n  store:     no event\n`);
    expect(checked.stdout).toContain(
      '  the store ends before this leaf: the 2 event(s) the checkpoint covers from position 8 on are not in it\n',
    );
  });

  it('(d) an event in the middle of a stream rewritten with every hash re-computed: the chains verify, the checkpoint names the rewrite', async () => {
    const { thirty } = history;
    const { copy, checked } = await chainsIntactCheckpointFails('rewritten', (db) => rewriteWithHashes(db, 3, thirtyBillion), {
      events: 9,
      streams: 6,
      lastPosition: 9,
    });

    expect(checked.stdout).toContain("problem: the store's first 9 events do not have the checkpoint's root\n");
    expect(checked.stdout).toContain(`first differing leaf: 2 (reference: the snapshot in ${copy})\n`);
    expect(checked.stdout).toMatch(
      new RegExp(`\\n {2}store: {5}announcement-${thirty} revision 0 \\(FundingAnnounced\\) at position 3, leaf hash [0-9a-f]{64}\\n`),
    );
    expect(checked.stdout).toContain('  the event at position 3 was rewritten (its hash is not the one the checkpoint covers)\n');
  });

  it('without a snapshot says the first differing leaf cannot be named and how to supply the leaves; with --reference names it from the export', async () => {
    const { thirty } = history;
    const copy = aCopy('rewritten-no-snapshot', (db) => rewriteWithHashes(db, 3, thirtyBillion));
    fs.rmSync(path.join(copy, 'snapshots'), { recursive: true, force: true });

    const blind = await verifyWithCheckpoint(copy);
    const referenced = await verifyWithCheckpoint(copy, '--reference', exportFile, '--json');

    expect(blind.code).toBe(1);
    expect(blind.stdout).toContain(
      `problem: the first differing leaf cannot be named without the leaves the checkpoint covers (the snapshot in ${copy}: no snapshot): pass --reference with an audit export`,
    );
    expect(blind.stdout).not.toContain('first differing leaf:');
    expect(referenced.code).toBe(1);
    expect(jsonOf(referenced).checkpoint.firstDifference).toMatchObject({
      leaf: 2,
      reference: `the export ${exportFile}`,
      store: { stream: `announcement-${thirty}`, revision: '0', type: 'FundingAnnounced', position: '3' },
      expected: { stream: `announcement-${thirty}`, revision: '0', type: 'FundingAnnounced', position: '3' },
      verdict: 'the event at position 3 was rewritten (its hash is not the one the checkpoint covers)',
    });
  });

  it('checks the signature with --verifier-key (text or file); a wrong key fails, naming the signature problem', async () => {
    const keyFile = path.join(root, 'ledger.vkey');
    fs.writeFileSync(keyFile, `${verifierKey}\n`);
    const stranger = auditIdentityOf(generateSignerKey('funding-ledger/stranger')).verifierKeyText;

    // A copy each: a command holds its data directory exclusively.
    const [asText, asFile, wrong, notAKey] = await Promise.all([
      verifyWithCheckpoint(aCopy('key-text'), '--verifier-key', verifierKey),
      verifyWithCheckpoint(aCopy('key-file'), '--verifier-key', keyFile),
      verifyWithCheckpoint(aCopy('key-wrong'), '--verifier-key', stranger),
      verifyWithCheckpoint(aCopy('key-nonsense'), '--verifier-key', 'nonsense'),
    ]);

    expect(asText.code).toBe(0);
    expect(asText.stdout).toMatch(/\nsignature: verified with the given key funding-ledger\/[0-9a-f]{16}\+[0-9a-f]{8}\n/);
    expect(asFile.code).toBe(0);
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(
      /\nsignature: NOT verified: the checkpoint carries no signature by the given key funding-ledger\/stranger\+[0-9a-f]{8}\n/,
    );
    // The store itself still matches what the (unverified) checkpoint claims.
    expect(wrong.stdout).toContain("store: 9 events; its first 9 have the checkpoint's root");
    expect(notAKey.code).toBe(1);
    expect(notAKey.stderr).toMatch(/^ledger: --verifier-key: neither a verifier key/);
    expect(notAKey.stderr).not.toMatch(/\n\s+at /);
  });

  it("fails a checkpoint signed by the ledger's key under another origin, and an altered one", async () => {
    const copy = aCopy('origins');
    const signer = readSigningKeyFile(keyFileOf(dataDir));
    const note = fs.readFileSync(checkpointFile, 'utf8');
    const [origin, size, rootHash] = note.split('\n') as [string, string, string];
    const otherOrigin = path.join(root, 'other-origin.txt');
    fs.writeFileSync(
      otherOrigin,
      signCheckpoint({ origin: 'funding-ledger/elsewhere', treeSize: Number(size), rootHash: Buffer.from(rootHash, 'base64') }, signer),
    );
    const altered = path.join(root, 'altered.txt');
    fs.writeFileSync(altered, note.replace(`${origin}\n${size}\n`, `${origin}\n8\n`));

    const [elsewhere, changed] = [await verify(copy, '--checkpoint', otherOrigin), await verify(copy, '--checkpoint', altered)];

    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toContain(`problem: the checkpoint's origin "funding-ledger/elsewhere" is not this ledger's ("${origin}")\n`);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(
      /signature: NOT verified: the signature by the ledger's own key funding-ledger\/[0-9a-f]{16}\+[0-9a-f]{8} does not verify: the checkpoint was altered after signing\n/,
    );
  });

  it('says plainly that no key is known when the data directory has none, and makes none', async () => {
    const copy = aCopy('no-key');
    fs.rmSync(keyFileOf(copy));

    const ran = await verifyWithCheckpoint(copy);

    expect(ran.code).toBe(1);
    expect(ran.stdout).toContain(
      `signature: NOT verified: the signature cannot be checked: the ledger has no signing key at ${keyFileOf(copy)}; pass --verifier-key\n`,
    );
    expect(fs.existsSync(keyFileOf(copy))).toBe(false);
  });
});

/** One event line of an export, as JSON.parse gives it back. */
interface ExportLine {
  position: string;
  stream: string;
  revision: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

describe('ledger audit verify-export with checkpoints', () => {
  const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

  /** The export with the event at position 3 rewritten and every hash after it re-computed, manifest digest and heads too. */
  function aForgedExport(name: string, resign?: ReturnType<typeof auditIdentityOf>): string {
    const lines = exported.slice(0, -1).split('\n');
    const events = lines.slice(0, -1).map((line) => JSON.parse(line) as ExportLine);
    const manifest = JSON.parse(lines.at(-1)!) as {
      sha256: string;
      chainHeads: Record<string, string>;
      checkpoint?: ExportManifest['checkpoint'];
      verifierKey?: ExportManifest['verifierKey'];
    };
    const target = events.find((event) => event.position === '3')!;
    target.data = thirtyBillion(target.data);
    let previous: string | undefined;
    for (const event of events.filter((e) => e.stream === target.stream)) {
      if (previous !== undefined) event.metadata.prevHash = previous;
      previous = eventHash({ ...event, revision: BigInt(event.revision) });
      event.metadata.hash = previous;
    }
    const eventLines = events.map((event) => `${JSON.stringify(event)}\n`).join('');
    manifest.sha256 = sha256(eventLines);
    manifest.chainHeads[target.stream] = previous as string;
    if (resign !== undefined) {
      // A forger who also re-signs, with a key of their own named in the manifest.
      const tree = new MerkleTree();
      for (const event of events) tree.append(leafOf({ ...event, revision: BigInt(event.revision) }));
      manifest.checkpoint = signCheckpoint({ origin: resign.origin, treeSize: tree.size, rootHash: tree.root() }, resign.signer);
      manifest.verifierKey = resign.verifierKeyText;
    }
    const file = path.join(root, name);
    fs.writeFileSync(file, `${eventLines}${JSON.stringify(manifest)}\n`);
    return file;
  }

  it('passes the intact export with the ledger key and an earlier checkpoint of its first five events', async () => {
    const ran = await ledger(['audit', 'verify-export', exportFile, '--verifier-key', verifierKey, '--checkpoint', earlyCheckpointFile]);

    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/\ncheckpoint signature: verified with the given key funding-ledger\/[0-9a-f]{16}\+[0-9a-f]{8}\n/);
    expect(ran.stdout).toContain("checkpoint: the file's 9 events have its root\n");
    expect(ran.stdout).toContain("earlier checkpoint: the file's first 5 events have its root\nthe export is intact\n");
  });

  it('fails an export forged with re-computed hashes: chains and digest pass, the checkpoint root does not, nor the earlier one', async () => {
    const forged = aForgedExport('forged.jsonl');

    const ran = await ledger(['audit', 'verify-export', forged, '--checkpoint', earlyCheckpointFile, '--json']);

    expect(ran.code).toBe(1);
    const report = jsonOf(ran);
    expect(report).toMatchObject({ ok: false, breaks: 0, manifestProblems: [] });
    expect(report.checkpoint).toMatchObject({
      status: 'failed',
      signature: { verified: true, keySource: 'manifest' },
      problems: ["the root of the file's first 9 events is not the checkpoint's root: those events are not the ones it covers"],
    });
    expect(report.earlier).toMatchObject({
      status: 'failed',
      problems: ["the root of the file's first 5 events is not the checkpoint's root: those events are not the ones it covers"],
    });
  });

  it("a forger who re-signs with a key of their own passes on the manifest's key alone, and fails with the ledger's key", async () => {
    const resigned = aForgedExport('resigned.jsonl', auditIdentityOf(generateSignerKey('funding-ledger/forger')));

    const selfVouched = await ledger(['audit', 'verify-export', resigned]);
    const withLedgerKey = await ledger(['audit', 'verify-export', resigned, '--verifier-key', verifierKey]);

    expect(selfVouched.code).toBe(0);
    expect(selfVouched.stdout).toContain(
      "(this shows the file is as signed, not who signed it: pass --verifier-key with the ledger's published key)",
    );
    expect(withLedgerKey.code).toBe(1);
    expect(withLedgerKey.stdout).toMatch(
      /checkpoint signature: NOT verified: the checkpoint carries no signature by the given key funding-ledger\/[0-9a-f]{16}\+[0-9a-f]{8}\n/,
    );
  });

  it('fails with a wrong verifier key, naming the signature problem', async () => {
    const stranger = auditIdentityOf(generateSignerKey('funding-ledger/stranger')).verifierKeyText;

    const ran = await ledger(['audit', 'verify-export', exportFile, '--verifier-key', stranger]);

    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(
      /\ncheckpoint signature: NOT verified: the checkpoint carries no signature by the given key funding-ledger\/stranger\+[0-9a-f]{8}\n/,
    );
    expect(ran.stdout).not.toContain('the export is intact');
  });

  it('reports an export without a checkpoint (written before them) as "no checkpoint", not a failure, unless a key is given', async () => {
    const lines = exported.slice(0, -1).split('\n');
    const { checkpoint: _checkpoint, verifierKey: _key, ...manifest } = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    const old = path.join(root, 'old.jsonl');
    fs.writeFileSync(old, `${[...lines.slice(0, -1), JSON.stringify(manifest)].join('\n')}\n`);

    const plain = await ledger(['audit', 'verify-export', old]);
    const keyed = await ledger(['audit', 'verify-export', old, '--verifier-key', verifierKey]);

    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('checkpoint: no checkpoint (an export written before checkpoints)\nthe export is intact\n');
    expect(keyed.code).toBe(1);
    expect(keyed.stdout).toMatch(
      /checkpoint: the manifest carries no checkpoint \(an export written before checkpoints\): the key funding-ledger\/[0-9a-f]{16}\+[0-9a-f]{8} cannot vouch for it\n/,
    );
  });
});
