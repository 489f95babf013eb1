// An embedded event's recordedAt and hash, found in its metadata's text without parsing it, are what JSON.parse gives
// for any metadata: flat or nested, with the key once, twice or not at all, with quotes, backslashes and brackets in its
// strings.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordedEventOf } from '../../src/store/embeddedEvents.js';
import { recordedAtOf, recordedHashOf, type RecordedEvent } from '../../src/store/port.js';

/** Text likely to mislead a search of the JSON: the key itself, quotes, escapes, braces, brackets. */
const tricky = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('"recordedAt":"', 'recordedAt', '"hash":"', 'hash', '\\', '"', '{', '}', '[', ']', '2026-01-01T00:00:26.000Z', ':'),
);
const key = fc.oneof(
  fc.constantFrom('recordedAt', 'hash'),
  fc.constantFrom('actor', 'prevHash', 'x"recordedAt', 'recordedAt\\', 'hash\\'),
  fc.string({ maxLength: 6 }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    { arbitrary: tricky, weight: 3 },
    fc.integer(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    { arbitrary: fc.dictionary(key, tie('value'), { maxKeys: 3 }), weight: 3 },
  ),
})).value;
/**
 * What the ledger writes last, `"hash":"<64 characters>"`, and near misses of it: another key that ends in hash, a
 * value of 64 characters with a quote or a backslash in it (longer once escaped), or a value nested one level down.
 */
const hashLike = fc.tuple(
  fc.constantFrom('hash', 'hash', 'x"hash', 'xhash', 'hash\\'),
  fc.oneof(
    fc.stringMatching(/^[0-9a-f]{64}$/),
    fc.string({ minLength: 64, maxLength: 64, unit: fc.constantFrom('a', '"', '\\', ',', '{', '}', ':') }),
    fc.stringMatching(/^[0-9a-f]{64}$/).map((hash) => ({ hash })),
  ),
);
const metadata = fc
  .tuple(fc.array(fc.tuple(key, value), { maxLength: 8 }), fc.option(hashLike, { nil: undefined }))
  .map(([entries, last]) => {
    // Built by hand so that a key may come twice, as a store written by another writer may hold it.
    const all = last === undefined ? entries : [...entries, last];
    return `{${all.map(([name, v]) => `${JSON.stringify(name)}:${JSON.stringify(v)}`).join(',')}}`;
  });

const accessors: [string, (event: RecordedEvent) => unknown][] = [
  ['recordedAt', recordedAtOf],
  ['hash', recordedHashOf],
];

describe.each(accessors)('%s of an embedded event', (name, accessor) => {
  it('is what JSON.parse reads from the metadata, whatever the metadata holds', () => {
    fc.assert(
      fc.property(metadata, (text) => {
        const event = recordedEventOf(1n, 's', 0n, 'id', 'T', '{}', text);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        expect(accessor(event)).toEqual(parsed[name]);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('hash of an embedded event, at the end of the text', () => {
  const hex = 'ab'.repeat(32);
  it.each([
    ['the ledger writes it', `{"actor":"admin","hash":"${hex}"}`],
    ['alone', `{"hash":"${hex}"}`],
    ['twice: the last counts', `{"hash":"${'cd'.repeat(32)}","hash":"${hex}"}`],
    ['a key ending in an escaped quote and hash', `{"x\\"hash":"${hex}"}`],
    ['nested one level down', `{"a":{"hash":"${hex}"}}`],
    ['the last 74 characters spanning two members', `{"hash":"abc","y":"${'d'.repeat(64 - 'abc","y":"'.length)}"}`],
  ])('is what JSON.parse reads: %s', (_, text) => {
    const event = recordedEventOf(1n, 's', 0n, 'id', 'T', '{}', text);
    expect(recordedHashOf(event)).toEqual((JSON.parse(text) as Record<string, unknown>).hash);
  });
});
