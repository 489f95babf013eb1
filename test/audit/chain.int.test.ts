// Hash chains as handleCommand writes them to the embedded store: every event chained to the one before it in its stream.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventHash, GENESIS_HASH } from '../../src/audit/chain.js';
import { ChainVerifier } from '../../src/audit/verify.js';
import type { Decider, DomainEvent } from '../../src/commands/decider.js';
import { handleCommand } from '../../src/commands/handle.js';
import type { CommandMetadata } from '../../src/commands/envelope.js';
import { openEmbeddedStore, type EmbeddedEventStore } from '../../src/store/embedded.js';
import type { RecordedEvent } from '../../src/store/port.js';

/** A decider that appends one event per line it is given: the ledger's own deciders never emit more than one. */
type Note = { readonly type: 'Note'; readonly data: { readonly lines: readonly string[] } };
type Noted = DomainEvent<'Noted', { line: string }>;
const notebook: Decider<number, Note, Noted> = {
  initialState: () => 0,
  evolve: (count) => count + 1,
  decide: (_count, command) => command.data.lines.map((line) => ({ type: 'Noted' as const, data: { line } })),
  eventTypes: ['Noted'],
};

const metadata: CommandMetadata = { actor: 'admin', correlationId: 'c-1', causationId: 'r-1', now: '2025-04-02T09:00:00.000Z' };

let dataDir: string;
let store: EmbeddedEventStore;

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-chain-'));
  store = openEmbeddedStore({ dataDir });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function note(stream: string, ...lines: string[]): Promise<void> {
  await handleCommand(store, notebook, stream, { type: 'Note', data: { lines } }, { metadata });
}

async function streamEvents(stream: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(stream)) events.push(event);
  return events;
}

describe('handleCommand chains every event it appends', () => {
  it('gives revision 0 a prevHash of 64 zeros and a hash anyone can recompute', async () => {
    await note('notebook-1', 'first');

    const [first] = await streamEvents('notebook-1');

    expect(first!.metadata.prevHash).toBe(GENESIS_HASH);
    expect(first!.metadata.hash).toBe(eventHash(first!));
    expect(first!.metadata).toMatchObject({ actor: 'admin', correlationId: 'c-1', causationId: 'r-1', recordedAt: metadata.now });
  });

  it('chains the events of one multi-event append to each other, then continues the chain in the next append', async () => {
    await note('notebook-1', 'a', 'b', 'c');
    await note('notebook-1', 'd', 'e');

    const events = await streamEvents('notebook-1');

    expect(events.map((event) => event.revision)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(events.map((event) => event.data.line)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(events[0]!.metadata.prevHash).toBe(GENESIS_HASH);
    for (const [index, event] of events.entries()) {
      expect(event.metadata.hash, `hash of revision ${index}`).toBe(eventHash(event));
      if (index > 0) expect(event.metadata.prevHash, `prevHash of revision ${index}`).toBe(events[index - 1]!.metadata.hash);
    }
    expect(new Set(events.map((event) => event.metadata.hash)).size).toBe(5);
  });

  it('keeps one chain per stream, each starting from 64 zeros, and the verifier finds every chain intact', async () => {
    await note('notebook-1', 'a', 'b');
    await note('notebook-2', 'a', 'b');
    await note('notebook-1', 'c');

    const one = await streamEvents('notebook-1');
    const two = await streamEvents('notebook-2');
    const verifier = new ChainVerifier();
    for await (const event of store.readAll()) verifier.check(event);

    expect(two[0]!.metadata.prevHash).toBe(GENESIS_HASH);
    // Same type, data and actor in both streams: the stream name alone makes the hashes differ.
    expect(two[0]!.metadata.hash).not.toBe(one[0]!.metadata.hash);
    expect(one[2]!.metadata.prevHash).toBe(one[1]!.metadata.hash);
    expect(verifier.report()).toMatchObject({ ok: true, events: 5, streams: 2, breaks: 0, firstBreak: undefined, lastPosition: '5' });
    expect(verifier.report().chainHeads).toEqual(
      new Map([
        ['notebook-1', one[2]!.metadata.hash],
        ['notebook-2', two[1]!.metadata.hash],
      ]),
    );
  });
});
