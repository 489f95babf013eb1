// The hash of an event: SHA-256 over one canonical serialization, so anyone can recompute it from the event alone.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventHash, GENESIS_HASH, type HashableEvent } from '../../src/audit/chain.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

function anEvent(overrides: Partial<HashableEvent> = {}): HashableEvent {
  return {
    stream: 'programme-oic-supply-chains',
    revision: 0n,
    type: 'ProgrammeRegistered',
    data: { code: 'oic-supply-chains', name: 'Supply chains', tags: ['a', 'b'] },
    metadata: { actor: 'admin', recordedAt: '2025-04-02T09:00:00.000Z', prevHash: GENESIS_HASH },
    ...overrides,
  };
}

describe('eventHash', () => {
  it('is SHA-256 (hex) over sorted-key JSON of { data, metadata, revision as a decimal string, stream, type }', () => {
    const expected = sha256(
      '{"data":{"code":"oic-supply-chains","name":"Supply chains","tags":["a","b"]},' +
        `"metadata":{"actor":"admin","prevHash":"${GENESIS_HASH}","recordedAt":"2025-04-02T09:00:00.000Z"},` +
        '"revision":"0","stream":"programme-oic-supply-chains","type":"ProgrammeRegistered"}',
    );

    expect(eventHash(anEvent())).toBe(expected);
    expect(eventHash(anEvent())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is deterministic: the same content in another key order gives the same hash', () => {
    const reordered = anEvent({
      data: { tags: ['a', 'b'], name: 'Supply chains', code: 'oic-supply-chains' },
      metadata: { prevHash: GENESIS_HASH, recordedAt: '2025-04-02T09:00:00.000Z', actor: 'admin' },
    });

    expect(eventHash(reordered)).toBe(eventHash(anEvent()));
    expect(eventHash(anEvent())).toBe(eventHash(anEvent()));
  });

  it('leaves the hash field of the metadata out, so a stored event can be checked against its own hash', () => {
    const plain = anEvent();
    const stored = anEvent({ metadata: { ...plain.metadata, hash: eventHash(plain) } });

    expect(eventHash(stored)).toBe(eventHash(plain));
  });

  it('hashes non-ASCII text as UTF-8', () => {
    const event = anEvent({ data: { title: '£30 million — €36m' } });
    const expected = sha256(
      `{"data":{"title":"£30 million — €36m"},"metadata":{"actor":"admin","prevHash":"${GENESIS_HASH}","recordedAt":"2025-04-02T09:00:00.000Z"},` +
        '"revision":"0","stream":"programme-oic-supply-chains","type":"ProgrammeRegistered"}',
    );

    expect(eventHash(event)).toBe(expected);
  });

  it.each<[string, Partial<HashableEvent>]>([
    ['a data value', { data: { code: 'oic-supply-chains', name: 'Supply chain', tags: ['a', 'b'] } }],
    ['a nested data value', { data: { code: 'oic-supply-chains', name: 'Supply chains', tags: ['b', 'a'] } }],
    ['an added data field', { data: { code: 'oic-supply-chains', name: 'Supply chains', tags: ['a', 'b'], extra: null } }],
    ['the actor', { metadata: { actor: 'clerk', recordedAt: '2025-04-02T09:00:00.000Z', prevHash: GENESIS_HASH } }],
    ['the recording time', { metadata: { actor: 'admin', recordedAt: '2025-04-02T09:00:00.001Z', prevHash: GENESIS_HASH } }],
    ['the prevHash', { metadata: { actor: 'admin', recordedAt: '2025-04-02T09:00:00.000Z', prevHash: '1'.repeat(64) } }],
    ['the type', { type: 'ProgrammeRenamed' }],
    ['the stream', { stream: 'programme-cps-smuggling-prosecutions' }],
    ['the revision', { revision: 1n }],
  ])('changes when %s changes', (_what, change) => {
    expect(eventHash(anEvent(change))).not.toBe(eventHash(anEvent()));
  });
});

describe('GENESIS_HASH', () => {
  it('is 64 zeros: the prevHash of every revision 0', () => {
    expect(GENESIS_HASH).toBe('0000000000000000000000000000000000000000000000000000000000000000');
  });
});
