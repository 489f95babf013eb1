// The journal tree: leaves from events, positions to leaf indexes, and a tree that survives a snapshot whole.
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { eventHash } from '../../src/audit/chain.js';
import { JournalTree, leafOf } from '../../src/audit/journalTree.js';
import { MerkleTree } from '../../src/audit/merkle.js';
import type { RecordedEvent } from '../../src/store/port.js';

const sha256hex = (text: string): string => createHash('sha256').update(text).digest('hex');

function eventAt(index: number, commit = BigInt(10 * index + 7)): RecordedEvent {
  return {
    id: `id-${index}`,
    stream: `s-${index % 3}`,
    revision: BigInt(Math.floor(index / 3)),
    position: { commit, prepare: commit },
    type: 'Thing',
    data: { index },
    metadata: { hash: sha256hex(`event ${index}`) },
  };
}

describe('leaves', () => {
  it('is the 32 bytes of the recorded hash', () => {
    const event = eventAt(1);
    expect(leafOf(event).toString('hex')).toBe(event.metadata.hash);
  });

  it('is the content hash for an event written without a hash, or with one that is not 64 hex digits', () => {
    const bare = { ...eventAt(2), metadata: { actor: 'someone' } };
    expect(leafOf(bare).toString('hex')).toBe(eventHash(bare));
    const odd = { ...eventAt(2), metadata: { hash: 'ABC' } };
    expect(leafOf(odd).toString('hex')).toBe(eventHash(odd));
  });
});

describe('JournalTree', () => {
  it('finds the leaf index of every position and none between them', () => {
    const journal = JournalTree.empty();
    for (let i = 0; i < 3000; i += 1) expect(journal.append(eventAt(i))).toBe(i);
    for (const i of [0, 1, 63, 64, 1000, 2999]) {
      expect(journal.indexOf({ commit: BigInt(10 * i + 7), prepare: BigInt(10 * i + 7) })).toBe(i);
      expect(journal.positionAt(i).commit).toBe(BigInt(10 * i + 7));
    }
    expect(journal.indexOf({ commit: 8n, prepare: 8n })).toBeUndefined();
    expect(journal.indexOf({ commit: 100_000n, prepare: 100_000n })).toBeUndefined();
    expect(journal.indexOf({ commit: 7n, prepare: 6n })).toBeUndefined();
  });

  it('comes back from its stored form (through v8 serialisation) with every root and proof, and keeps growing alike', () => {
    for (const size of [0, 1, 63, 64, 65, 1000, 4096, 4097]) {
      const journal = JournalTree.empty();
      for (let i = 0; i < size; i += 1) journal.append(eventAt(i));
      const restored = JournalTree.fromStored(deserialize(serialize(journal.toStored())) as ReturnType<JournalTree['toStored']>);
      expect(restored.size).toBe(size);
      for (const at of new Set([0, Math.floor(size / 2), size])) expect(restored.tree.root(at)).toEqual(journal.tree.root(at));
      if (size > 1) expect(restored.tree.inclusionProof(size - 2, size)).toEqual(journal.tree.inclusionProof(size - 2, size));
      for (let i = size; i < size + 70; i += 1) {
        journal.append(eventAt(i));
        restored.append(eventAt(i));
      }
      expect(restored.tree.root()).toEqual(journal.tree.root());
      expect(restored.tree.consistencyProof(size, size + 70)).toEqual(journal.tree.consistencyProof(size, size + 70));
      if (size > 0) expect(restored.indexOf(eventAt(size - 1).position)).toBe(size - 1);
    }
  });

  it('keeps a prepare position that differs from its commit (an EventStoreDB transaction), through its stored form', () => {
    const journal = JournalTree.empty();
    const events = [
      eventAt(0, 10n),
      { ...eventAt(1, 20n), position: { commit: 20n, prepare: 15n } },
      { ...eventAt(2, 20n), position: { commit: 20n, prepare: 18n } },
      eventAt(3, 30n),
    ];
    for (const event of events) journal.append(event);
    const restored = JournalTree.fromStored(deserialize(serialize(journal.toStored())) as ReturnType<JournalTree['toStored']>);
    for (const tree of [journal, restored]) {
      expect(events.map((event) => tree.indexOf(event.position))).toEqual([0, 1, 2, 3]);
      expect(tree.positionAt(2)).toEqual({ commit: 20n, prepare: 18n });
      expect(tree.indexOf({ commit: 20n, prepare: 20n })).toBeUndefined();
    }
  });

  it('refuses a stored form whose parts disagree', () => {
    const journal = JournalTree.empty();
    for (let i = 0; i < 200; i += 1) journal.append(eventAt(i));
    const stored = journal.toStored();
    expect(() => JournalTree.fromStored({ ...stored, commits: stored.commits.subarray(1) })).toThrow(/positions/);
    expect(() => JournalTree.fromStored({ ...stored, tree: { ...stored.tree, leaves: stored.tree.leaves.subarray(32) } })).toThrow(
      TypeError,
    );
    expect(() => MerkleTree.fromStored({ leaves: stored.tree.leaves, cached: [] })).toThrow(/highest cached level/);
  });

  it('knows whether it ends with an event', () => {
    const journal = JournalTree.empty();
    expect(journal.endsWith(eventAt(0))).toBe(false);
    journal.append(eventAt(0));
    journal.append(eventAt(1));
    expect(journal.endsWith(eventAt(1))).toBe(true);
    expect(journal.endsWith(eventAt(0))).toBe(false);
    expect(journal.endsWith({ ...eventAt(1), metadata: { hash: sha256hex('other') } })).toBe(false);
  });
});

describe('JournalTree catch-up', () => {
  const built = (count: number): JournalTree => {
    const journal = JournalTree.empty();
    for (let i = 0; i < count; i += 1) journal.append(eventAt(i));
    return journal;
  };

  for (const [what, workerFrom, count] of [
    ['hashed here, under the worker threshold', 10_000, 3000],
    ['hashed on a worker thread, in batches, past the threshold', 100, 3000],
  ] as const) {
    it(`gives the same tree as appending one by one: ${what}`, async () => {
      const expected = built(count + 50);
      const journal = built(50);
      journal.beginCatchUp(workerFrom);
      for (let i = 50; i < count + 50; i += 1) expect(journal.append(eventAt(i))).toBe(i);
      expect(journal.catchingUp).toBe(true);
      expect(journal.size).toBe(count + 50);
      expect(() => journal.tree).toThrow(/catching up/);
      const settled = journal.settle();
      // Leaves that arrive while the worker finishes are added after its tree comes back.
      for (let i = count + 50; i < count + 60; i += 1) journal.append(eventAt(i));
      for (let i = count + 50; i < count + 60; i += 1) expected.append(eventAt(i));
      await settled;
      expect(journal.catchingUp).toBe(false);
      expect(journal.tree.root()).toEqual(expected.tree.root());
      expect(journal.tree.consistencyProof(50, count + 60)).toEqual(expected.tree.consistencyProof(50, count + 60));
      expect(journal.indexOf(eventAt(count + 55).position)).toBe(count + 55);
      journal.append(eventAt(count + 60));
      expected.append(eventAt(count + 60));
      expect(journal.tree.root()).toEqual(expected.tree.root());
    });
  }

  it('abandoned, keeps the tree and the positions it had before', async () => {
    const journal = built(20);
    const root = journal.tree.root();
    journal.beginCatchUp(5);
    for (let i = 20; i < 40; i += 1) journal.append(eventAt(i));
    await journal.abandonCatchUp();
    expect(journal.size).toBe(20);
    expect(journal.tree.root()).toEqual(root);
    expect(journal.indexOf(eventAt(25).position)).toBeUndefined();
    expect(journal.append(eventAt(20))).toBe(20);
  });
});
