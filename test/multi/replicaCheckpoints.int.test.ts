// Replicas on one EventStoreDB (the stand-in) keep the same journal tree: given the same signing key, they answer the
// same signed checkpoint byte for byte, a replica that joins late or restarts from its snapshot included, and that
// tree is the one an outsider computes from the store's own events.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { snapshotPath } from '../../src/projections/storage/snapshot.js';
import { request, type TestLedger } from '../support/ledger.js';
import { theProgrammes, theThreeMillion } from '../support/scenarios.js';
import { aDataDir, aStandIn, replicasOn, shareKeys } from './replicas.js';
import { startTestLedger } from '../support/ledger.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (...parts: Uint8Array[]): Buffer => {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return digest.digest();
};

/** RFC 9162 2.1.1 MTH over the leaves (not their hashes), straight from its definition: no code shared with the service. */
function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return sha256(Uint8Array.of(0), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Uint8Array.of(1), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

/** The checkpoint note's parts, and its Ed25519 signature checked against the vkey text. */
function openNote(note: string, vkey: string): { origin: string; size: number; root: Buffer } {
  // The key's base64 may itself hold a plus: name and id are the first two fields, the key the rest.
  const [name, keyIdHex, ...keyParts] = vkey.trim().split('+') as [string, string, ...string[]];
  const keyText = keyParts.join('+');
  const keyBytes = Buffer.from(keyText, 'base64');
  const [body, signatureLine] = note.split('\n\n') as [string, string];
  const [, signer, signatureText] = /^\u2014 (\S+) (\S+)\n$/.exec(signatureLine)!;
  expect(signer).toBe(name);
  const signature = Buffer.from(signatureText!, 'base64');
  expect(signature.subarray(0, 4).toString('hex')).toBe(keyIdHex);
  const publicKey = createPublicKey({
    key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), keyBytes.subarray(1)]),
    format: 'der',
    type: 'spki',
  });
  expect(verify(null, Buffer.from(`${body}\n`), publicKey, signature.subarray(4))).toBe(true);
  const [origin, size, root] = body.split('\n') as [string, string, string];
  return { origin, size: Number(size), root: Buffer.from(root, 'base64') };
}

async function checkpointOf(ledger: TestLedger): Promise<string> {
  const reply = await request(ledger.baseUrl, 'GET', '/audit/checkpoint');
  expect(reply.status).toBe(200);
  return reply.text;
}

/** Waits until every replica has applied the store's head, then answers their checkpoints. */
async function settledCheckpoints(replicas: readonly TestLedger[]): Promise<string[]> {
  const head = await replicas[0]!.storeHead();
  for (const replica of replicas) {
    for (let waited = 0; (await request(replica.baseUrl, 'GET', '/health/ready')).json.position !== head; waited += 20) {
      if (waited > 10_000) throw new Error(`a replica never reached ${head}`);
      await sleep(20);
    }
  }
  return Promise.all(replicas.map(checkpointOf));
}

describe('replicas on one EventStoreDB', () => {
  it(
    'answer the same signed checkpoint, over the tree of the store’s events, joining late or restarting from a snapshot',
    { timeout: 60_000 },
    async () => {
      const standIn = await aStandIn();
      const [first, second] = await replicasOn(standIn, 2);
      for (const programme of theProgrammes())
        expect((await request(first!.baseUrl, 'POST', '/programmes', { key: first!.adminKey, body: programme })).status).toBe(201);
      const writes = Array.from({ length: 40 }, (_, index) =>
        request((index % 2 === 0 ? first! : second!).baseUrl, 'POST', '/announcements', {
          key: first!.adminKey,
          body: theThreeMillion({ title: `Replica announcement ${index}` }),
        }),
      );
      for (const reply of await Promise.all(writes)) expect(reply.status).toBe(201);

      const [a, b] = await settledCheckpoints([first!, second!]);
      expect(b).toBe(a);
      const vkey = (await request(first!.baseUrl, 'GET', '/audit/verifier-key')).text;
      expect((await request(second!.baseUrl, 'GET', '/audit/verifier-key')).text).toBe(vkey);

      // The tree an outsider builds from the store: every event of $all, in order, its recorded hash as the leaf.
      const leaves: Buffer[] = [];
      for await (const event of first!.ledger.context.store.readAll()) leaves.push(Buffer.from(String(event.metadata.hash), 'hex'));
      const opened = openNote(a!, vkey);
      expect(opened.origin).toMatch(/^funding-ledger\/[0-9a-f]{16}$/);
      expect(opened.size).toBe(leaves.length);
      expect(opened.root.equals(mth(leaves))).toBe(true);

      // A replica that joins now folds the same history into the same tree.
      const lateDir = aDataDir();
      shareKeys(first!.dataDir, lateDir);
      const late = await startTestLedger({
        dataDir: lateDir,
        env: { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: standIn.connectionString },
      });
      // A restart from the snapshot saved at shutdown brings the tree back whole, not re-hashed.
      const restarted = await second!.restart();
      expect(existsSync(snapshotPath(second!.dataDir))).toBe(true);
      expect(await settledCheckpoints([first!, late, restarted])).toEqual([a, a, a]);

      // And all of them keep agreeing as the log grows.
      expect(
        (
          await request(restarted.baseUrl, 'POST', '/announcements', {
            key: first!.adminKey,
            body: theThreeMillion({ title: 'After the restart' }),
          })
        ).status,
      ).toBe(201);
      const after = await settledCheckpoints([first!, late, restarted]);
      expect(new Set(after).size).toBe(1);
      expect(openNote(after[0]!, vkey).size).toBe(leaves.length + 1);
    },
  );
});
