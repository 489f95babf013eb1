// The journal tree's public routes over real HTTP, checked by an auditor's own code: the signed checkpoint and its key
// (C2SP signed-note, Ed25519), inclusion proofs of the events /events lists and consistency proofs between checkpoints
// (RFC 9162 2.1.3.2 and 2.1.4.2). The verifiers below are written from the specifications and import nothing from src/.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  announce,
  clientOf,
  errorFieldsOf,
  expectProblem,
  expectStatus,
  readyPosition,
  request,
  startTestLedger,
  type Reply,
  type TestLedger,
} from '../support/ledger.js';
import { anAnnouncement, registerProgrammes, theThreeMillion } from '../support/scenarios.js';

const LEDGER_ID = 'proofs-test';
const ORIGIN = `funding-ledger/${LEDGER_ID}`;

// ---- An auditor's verifiers, from c2sp.org/signed-note, c2sp.org/tlog-checkpoint and RFC 9162 ----

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return digest.digest();
};
const leafHashOf = (eventHashHex: string): Buffer => sha256(Buffer.from([0x00]), Buffer.from(eventHashHex, 'hex'));
const nodeHash = (left: Uint8Array, right: Uint8Array): Buffer => sha256(Buffer.from([0x01]), left, right);

interface Vkey {
  name: string;
  keyId: Buffer;
  publicKey: Buffer;
}

/** `<name>+<hex key id>+<base64(0x01 || public key)>`; the id must be SHA-256(name || 0x0A || 0x01 || key)[:4]. */
function parseVkey(text: string): Vkey {
  // The name has no plus; the base64 key may.
  const [, name, hexId, encoded] = /^([^+]+)\+([^+]+)\+(.+)$/.exec(text) ?? [];
  expect(hexId).toMatch(/^[0-9a-f]{8}$/);
  const typed = Buffer.from(encoded as string, 'base64');
  expect(typed.toString('base64')).toBe(encoded);
  expect(typed.length).toBe(33);
  expect(typed[0]).toBe(0x01);
  const publicKey = typed.subarray(1);
  const keyId = Buffer.from(hexId as string, 'hex');
  expect(
    sha256(Buffer.from(name as string, 'utf8'), Buffer.from([0x0a, 0x01]), publicKey)
      .subarray(0, 4)
      .equals(keyId),
  ).toBe(true);
  return { name: name as string, keyId, publicKey };
}

/** The note's text (through its last newline before the blank line) and whether the signature line by `key` verifies over it. */
function checkNote(note: string, key: Vkey): { text: string; verifies: boolean } {
  const split = note.indexOf('\n\n');
  expect(split).toBeGreaterThan(0);
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2).split('\n');
  expect(lines.at(-1)).toBe('');
  const ours = lines
    .slice(0, -1)
    .map((line) => /^\u2014 (\S+) (\S+)$/.exec(line))
    .find((match) => match?.[1] === key.name);
  expect(ours, 'a signature line by the verifier key').toBeDefined();
  const signature = Buffer.from(ours![2] as string, 'base64');
  expect(signature.length).toBe(4 + 64);
  expect(signature.subarray(0, 4).equals(key.keyId)).toBe(true);
  // The raw Ed25519 public key wrapped as SPKI (RFC 8410), the form node:crypto imports.
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), key.publicKey]);
  const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  return { text, verifies: verify(null, Buffer.from(text, 'utf8'), publicKey, signature.subarray(4)) };
}

/** The text of a note whose signature by `key` verifies. */
function openNote(note: string, key: Vkey): string {
  const { text, verifies } = checkNote(note, key);
  expect(verifies, 'the Ed25519 signature verifies').toBe(true);
  return text;
}

interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

function parseCheckpointBody(text: string): Checkpoint {
  const lines = text.split('\n');
  expect(lines).toHaveLength(4);
  expect(lines[3]).toBe('');
  expect(lines[1]).toMatch(/^(0|[1-9][0-9]*)$/);
  const root = Buffer.from(lines[2] as string, 'base64');
  expect(root.toString('base64')).toBe(lines[2]);
  expect(root.length).toBe(32);
  return { origin: lines[0] as string, size: Number(lines[1]), root };
}

/** RFC 9162 2.1.3.2. */
function verifyInclusion(index: number, size: number, leafHash: Buffer, path: readonly Buffer[], root: Buffer): boolean {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 2.1.4.2, for 0 < first < second; equal sizes need equal roots and no proof. */
function verifyConsistency(first: number, second: number, firstRoot: Buffer, secondRoot: Buffer, proof: readonly Buffer[]): boolean {
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0 || first > second || proof.length === 0) return false;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Buffer;
  let sr = path[0] as Buffer;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(firstRoot) && sr.equals(secondRoot) && sn === 0;
}

/** MTH (RFC 9162 2.1.1) over leaf hashes, n >= 1: the root a checkpoint of that many events must carry. */
function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0] as Buffer;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

const decodeHashes = (hashes: readonly string[]): Buffer[] => hashes.map((text) => Buffer.from(text, 'base64'));

// ---- The ledger ----

interface JournalItem {
  position: string;
  stream: string;
  hash: string;
  leafIndex: number | null;
}

/** Reads and writes are not public, so every route below that answers without a key does so because it is public. */
async function aLedger(): Promise<TestLedger> {
  return startTestLedger({ env: { PUBLIC_READ: 'false', LEDGER_ID } });
}

/** Waits until the projections (and so the journal tree) have applied every event in the store. */
async function caughtUp(ledger: TestLedger): Promise<void> {
  const head = await ledger.storeHead();
  for (let tries = 0; (await readyPosition(ledger)) !== head; tries += 1) {
    if (tries > 200) throw new Error(`the projections did not reach ${head}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Events `writeSome` records: two programmes, an announcement, its amendment, another announcement. */
const WRITTEN = 5;

/** Two programmes and two announcements, one of them amended. */
async function writeSome(ledger: TestLedger): Promise<void> {
  await registerProgrammes(ledger);
  const { id } = await announce(ledger, anAnnouncement());
  expectStatus(
    await clientOf(ledger).post(`/announcements/${id}/amendments`, {
      changes: { title: '£31 million for supply chains' },
      reason: 'the press release was corrected',
    }),
    200,
  );
  await announce(ledger, theThreeMillion());
  await caughtUp(ledger);
}

const anonymous = (ledger: TestLedger, path: string, headers: Record<string, string> = {}): Promise<Reply> =>
  request(ledger.baseUrl, 'GET', path, { headers });

async function verifierKeyOf(ledger: TestLedger): Promise<Vkey> {
  const reply = expectStatus(await anonymous(ledger, '/audit/verifier-key'), 200);
  expect(reply.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(reply.text.endsWith('\n')).toBe(true);
  return parseVkey(reply.text.slice(0, -1));
}

async function checkpointOf(ledger: TestLedger, key: Vkey): Promise<Checkpoint> {
  const reply = expectStatus(await anonymous(ledger, '/audit/checkpoint'), 200);
  expect(reply.headers.get('content-type')).toBe('text/plain; charset=utf-8');
  return parseCheckpointBody(openNote(reply.text, key));
}

async function journalOf(ledger: TestLedger): Promise<JournalItem[]> {
  return expectStatus(await clientOf(ledger).get('/events?limit=1000'), 200).json.items as JournalItem[];
}

function expectProblemNaming(reply: Reply, status: number, field: string): void {
  expectProblem(reply, status);
  expect(errorFieldsOf(reply)).toContain(field);
}

describe('GET /audit/checkpoint and /audit/verifier-key', () => {
  it('serve, without a key, a checkpoint of every applied event whose Ed25519 signature verifies with the published key', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);
    const journal = await journalOf(ledger);

    const key = await verifierKeyOf(ledger);
    const checkpoint = await checkpointOf(ledger, key);

    expect((await anonymous(ledger, '/events')).status, 'reads need a key on this ledger').toBe(401);
    expect(key.name).toBe(ORIGIN);
    expect(checkpoint.origin).toBe(ORIGIN);
    expect(checkpoint.size).toBe(journal.length);
    expect(journal.length).toBe(WRITTEN);
    // The root over the events' hashes, computed here from the journal alone (RFC 9162 2.1.1).
    expect(checkpoint.root.equals(mth(journal.map((item) => leafHashOf(item.hash))))).toBe(true);
  });

  it('refuses a changed checkpoint: the signature covers the size and the root', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);
    const key = await verifierKeyOf(ledger);
    const note = expectStatus(await anonymous(ledger, '/audit/checkpoint'), 200).text;
    const [origin, size, root] = note.split('\n') as [string, string, string];
    const smaller = note.replace(`${origin}\n${size}\n`, `${origin}\n${Number(size) - 1}\n`);
    const otherRoot = note.replace(`\n${root}\n`, `\n${sha256(Buffer.from(root, 'base64')).toString('base64')}\n`);

    expect(checkNote(note, key).verifies).toBe(true);
    expect(checkNote(smaller, key).verifies).toBe(false);
    expect(checkNote(otherRoot, key).verifies).toBe(false);
  });

  it('sends Cache-Control no-cache and an ETag that answers 304 until the tree grows; HEAD answers the same headers', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);

    const first = expectStatus(await anonymous(ledger, '/audit/checkpoint'), 200);
    const etag = first.headers.get('etag') as string;
    const again = await anonymous(ledger, '/audit/checkpoint', { 'if-none-match': etag });
    const head = await request(ledger.baseUrl, 'HEAD', '/audit/checkpoint');
    await announce(ledger, anAnnouncement({ title: 'Another £30 million' }));
    await caughtUp(ledger);
    const grown = await anonymous(ledger, '/audit/checkpoint', { 'if-none-match': etag });

    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(etag).toMatch(new RegExp(`^"${WRITTEN}-[A-Za-z0-9_-]+"$`));
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect(head.text).toBe('');
    expect(grown.status).toBe(200);
    expect(grown.headers.get('etag')).not.toBe(etag);
  });

  it('signs, with treeSize, the checkpoint of an older size: byte for byte the one served when the tree had that size', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);
    const key = await verifierKeyOf(ledger);
    const then = expectStatus(await anonymous(ledger, '/audit/checkpoint'), 200).text;
    const old = parseCheckpointBody(openNote(then, key));
    await announce(ledger, anAnnouncement({ title: 'Another £30 million' }));
    await caughtUp(ledger);

    expect(expectStatus(await anonymous(ledger, `/audit/checkpoint?treeSize=${old.size}`), 200).text).toBe(then);
    const now = await checkpointOf(ledger, key);
    expect(now.size).toBe(old.size + 1);
    expect(expectStatus(await anonymous(ledger, `/audit/checkpoint?treeSize=${now.size}`), 200).text).toBe(
      (await anonymous(ledger, '/audit/checkpoint')).text,
    );
    const empty = parseCheckpointBody(openNote(expectStatus(await anonymous(ledger, '/audit/checkpoint?treeSize=0'), 200).text, key));
    expect(empty.root.equals(sha256())).toBe(true);
    expectProblemNaming(await anonymous(ledger, `/audit/checkpoint?treeSize=${now.size + 1}`), 400, 'treeSize');
    expectProblemNaming(await anonymous(ledger, '/audit/checkpoint?treeSize=-1'), 400, 'treeSize');
    expectProblemNaming(await anonymous(ledger, '/audit/checkpoint?treeSize=1e1'), 400, 'treeSize');
    expectProblemNaming(await anonymous(ledger, '/audit/checkpoint?size=1'), 400, 'size');
  });

  it('signs the empty tree of a new ledger', async () => {
    const ledger = await aLedger();
    const key = await verifierKeyOf(ledger);

    const checkpoint = await checkpointOf(ledger, key);

    expect(checkpoint.size).toBe(0);
    expect(checkpoint.root.equals(sha256())).toBe(true);
  });
});

describe('GET /events: leafIndex', () => {
  it('gives every applied event its leaf, in journal order', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);

    const journal = await journalOf(ledger);
    const filtered = expectStatus(await clientOf(ledger).get('/events?type=FundingAnnounced'), 200).json.items as JournalItem[];

    expect(journal.map((item) => item.leafIndex)).toEqual([...Array(WRITTEN).keys()]);
    expect(filtered.map((item) => item.leafIndex)).toEqual(
      journal.filter((item) => filtered.some((f) => f.position === item.position)).map((item) => item.leafIndex),
    );
    expect(filtered).toHaveLength(2);
  });
});

describe('GET /audit/proofs/inclusion', () => {
  it('proves, without a key, every event of /events in the signed checkpoint, by position and by leafIndex', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);
    const key = await verifierKeyOf(ledger);
    const checkpoint = await checkpointOf(ledger, key);
    const journal = await journalOf(ledger);

    for (const item of journal) {
      const byPosition = expectStatus(
        await anonymous(ledger, `/audit/proofs/inclusion?position=${item.position}&treeSize=${checkpoint.size}`),
        200,
      ).json;
      const byIndex = expectStatus(await anonymous(ledger, `/audit/proofs/inclusion?leafIndex=${item.leafIndex}`), 200).json;

      const leafHash = leafHashOf(item.hash);
      expect(byPosition).toEqual({
        position: item.position,
        leafIndex: item.leafIndex,
        treeSize: checkpoint.size,
        leafHash: leafHash.toString('base64'),
        hashes: byPosition.hashes,
      });
      expect(byIndex).toEqual(byPosition);
      expect(
        verifyInclusion(item.leafIndex as number, checkpoint.size, leafHash, decodeHashes(byPosition.hashes), checkpoint.root),
        item.position,
      ).toBe(true);
      // Another event's leaf, or another root, does not pass.
      const other = journal[((item.leafIndex as number) + 1) % journal.length] as JournalItem;
      expect(
        verifyInclusion(
          item.leafIndex as number,
          checkpoint.size,
          leafHashOf(other.hash),
          decodeHashes(byPosition.hashes),
          checkpoint.root,
        ),
      ).toBe(false);
      expect(
        verifyInclusion(item.leafIndex as number, checkpoint.size, leafHash, decodeHashes(byPosition.hashes), sha256(checkpoint.root)),
      ).toBe(false);
    }
  });

  it('proves an event in an older, smaller tree, against the checkpoint taken then', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);
    const key = await verifierKeyOf(ledger);
    const old = await checkpointOf(ledger, key);
    const journal = await journalOf(ledger);
    await announce(ledger, anAnnouncement({ title: 'Another £30 million' }));
    await caughtUp(ledger);
    const item = journal[2] as JournalItem;

    const proof = expectStatus(await anonymous(ledger, `/audit/proofs/inclusion?position=${item.position}&treeSize=${old.size}`), 200).json;
    const current = expectStatus(await anonymous(ledger, `/audit/proofs/inclusion?position=${item.position}`), 200).json;

    expect(proof.treeSize).toBe(old.size);
    expect(verifyInclusion(2, old.size, leafHashOf(item.hash), decodeHashes(proof.hashes), old.root)).toBe(true);
    expect(current.treeSize).toBe(old.size + 1);
    expect(
      verifyInclusion(2, current.treeSize, leafHashOf(item.hash), decodeHashes(current.hashes), (await checkpointOf(ledger, key)).root),
    ).toBe(true);
  });

  it("is linked from each version of an announcement's history", async () => {
    const ledger = await aLedger();
    await writeSome(ledger);
    const key = await verifierKeyOf(ledger);
    const checkpoint = await checkpointOf(ledger, key);
    const journal = await journalOf(ledger);
    const announced = journal.find((item) => item.stream.startsWith('announcement-')) as JournalItem;

    const history = expectStatus(
      await clientOf(ledger).get(`/announcements/${announced.stream.slice('announcement-'.length)}/history`),
      200,
    ).json;
    const links = (history.versions as { position: string; inclusionProof: string }[]).map((version) => version.inclusionProof);

    expect(links).toEqual(
      (history.versions as { position: string }[]).map((version) => `/audit/proofs/inclusion?position=${version.position}`),
    );
    expect(links).toHaveLength(2);
    for (const link of links) {
      const proof = expectStatus(await anonymous(ledger, link), 200).json;
      const item = journal.find((event) => event.position === proof.position) as JournalItem;
      expect(verifyInclusion(proof.leafIndex, proof.treeSize, leafHashOf(item.hash), decodeHashes(proof.hashes), checkpoint.root)).toBe(
        true,
      );
    }
  });

  it('answers problems naming the field: unknown position 404, treeSize beyond the tree or before the event 400, malformed 400', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);
    const journal = await journalOf(ledger);
    const last = journal.at(-1) as JournalItem;

    expectProblemNaming(await anonymous(ledger, '/audit/proofs/inclusion?position=999999'), 404, 'position');
    expectProblemNaming(
      await anonymous(ledger, `/audit/proofs/inclusion?position=${last.position}&treeSize=${WRITTEN + 1}`),
      400,
      'treeSize',
    );
    expectProblemNaming(
      await anonymous(ledger, `/audit/proofs/inclusion?position=${last.position}&treeSize=${WRITTEN - 1}`),
      400,
      'position',
    );
    expectProblemNaming(await anonymous(ledger, `/audit/proofs/inclusion?leafIndex=${WRITTEN}`), 400, 'leafIndex');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/inclusion?position=abc'), 400, 'position');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/inclusion?position=1&treeSize=abc'), 400, 'treeSize');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/inclusion?position=1&treeSize='), 400, 'treeSize');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/inclusion?leafIndex=1e0'), 400, 'leafIndex');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/inclusion'), 400, 'position');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/inclusion?position=1&leafIndex=0'), 400, 'position');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/inclusion?position=1&size=3'), 400, 'size');
  });
});

describe('GET /audit/proofs/consistency', () => {
  it('proves, without a key, that a later checkpoint extends an earlier one; the root changes and the old size stays provable', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);
    const key = await verifierKeyOf(ledger);
    const before = await checkpointOf(ledger, key);
    await announce(ledger, anAnnouncement({ title: 'Another £30 million' }));
    await announce(ledger, theThreeMillion({ title: 'Another £3 million' }));
    await caughtUp(ledger);
    const after = await checkpointOf(ledger, key);

    const proof = expectStatus(await anonymous(ledger, `/audit/proofs/consistency?from=${before.size}&to=${after.size}`), 200).json;
    const toCurrent = expectStatus(await anonymous(ledger, `/audit/proofs/consistency?from=${before.size}`), 200).json;

    expect(after.size).toBe(before.size + 2);
    expect(after.root.equals(before.root)).toBe(false);
    expect(proof).toEqual({ from: before.size, to: after.size, hashes: proof.hashes });
    expect(toCurrent).toEqual(proof);
    expect(verifyConsistency(before.size, after.size, before.root, after.root, decodeHashes(proof.hashes))).toBe(true);
    expect(verifyConsistency(before.size, after.size, sha256(before.root), after.root, decodeHashes(proof.hashes))).toBe(false);
    expect(verifyConsistency(before.size, after.size, before.root, sha256(after.root), decodeHashes(proof.hashes))).toBe(false);
    // Every earlier size, each with the root a checkpoint of it would carry (the root computed here from the journal).
    const journal = await journalOf(ledger);
    const leaves = journal.map((item) => leafHashOf(item.hash));
    for (let size = 1; size <= after.size; size += 1) {
      const reply = expectStatus(await anonymous(ledger, `/audit/proofs/consistency?from=${size}&to=${after.size}`), 200).json;
      expect(verifyConsistency(size, after.size, mth(leaves.slice(0, size)), after.root, decodeHashes(reply.hashes)), `from ${size}`).toBe(
        true,
      );
    }
  });

  it('answers an empty proof between equal sizes and from 0', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);

    expect(expectStatus(await anonymous(ledger, `/audit/proofs/consistency?from=${WRITTEN}&to=${WRITTEN}`), 200).json).toEqual({
      from: WRITTEN,
      to: WRITTEN,
      hashes: [],
    });
    expect(expectStatus(await anonymous(ledger, '/audit/proofs/consistency?from=0'), 200).json).toEqual({
      from: 0,
      to: WRITTEN,
      hashes: [],
    });
  });

  it('answers 400 problems naming the field: from > to, to beyond the tree, malformed or missing sizes', async () => {
    const ledger = await aLedger();
    await writeSome(ledger);

    expectProblemNaming(await anonymous(ledger, '/audit/proofs/consistency?from=5&to=3'), 400, 'from');
    expectProblemNaming(await anonymous(ledger, `/audit/proofs/consistency?from=${WRITTEN + 1}`), 400, 'from');
    expectProblemNaming(await anonymous(ledger, `/audit/proofs/consistency?from=3&to=${WRITTEN + 1}`), 400, 'to');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/consistency?from=abc'), 400, 'from');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/consistency?from=1&to=-1'), 400, 'to');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/consistency?from=1.5'), 400, 'from');
    expectProblemNaming(await anonymous(ledger, '/audit/proofs/consistency'), 400, 'from');
  });
});
