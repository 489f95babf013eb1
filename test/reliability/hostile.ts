// fast-check arbitraries for hostile input: wrong types, huge and deep values, odd unicode, pollution keys, broken JSON.
import fc from 'fast-check';

/** JSON text placed as is inside a body: nesting too deep to build as objects, literals JSON.stringify cannot write. */
export class Raw {
  constructor(readonly text: string) {}
}

/** JSON text for a value: Raw pieces go in verbatim; own keys named `__proto__` are written like any other. */
export function serialize(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${serialize(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** An object with an own enumerable key, even `__proto__`. */
export function withKey(target: object, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...target } as Record<string, unknown>;
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

export const nanLikeStrings = fc.constantFrom(
  'NaN',
  '-NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1e309',
  '0x1F',
  '0b11',
  '0o7',
  '1_000',
  '1,000.00',
  ' 1',
  '1 ',
  '1.',
  '.5',
  '-1',
  '+1',
  '-0',
  '00',
  '1e-7',
  '1E3',
  '١٢٣',
  '１２３',
  '0.0',
  '9'.repeat(40),
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '',
);

export const maliciousStrings = fc.constantFrom(
  '<script>alert(1)</script>',
  "' OR 1=1; DROP TABLE events; --",
  '../../../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%00',
  '\u0000',
  '${jndi:ldap://127.0.0.1/a}',
  '{{7*7}}',
  '${7*7}',
  '\r\nX-Injected: 1',
  '\u202e',
  '\ufeff',
  '\ud800',
  '\udfff\ud800',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'A'.repeat(5000),
  '\u0085\u2028\u2029',
  '😀'.repeat(300),
  'e\u0301'.repeat(200),
);

/** Any code points, lone surrogates included. */
export const unicodeStrings = fc.string({ unit: 'binary', maxLength: 300 });

/** Past every field's limit; some past the 64 KiB body limit. */
export const hugeStrings = fc.oneof(
  fc.integer({ min: 2_001, max: 20_000 }).map((length) => 'x'.repeat(length)),
  fc.integer({ min: 60_000, max: 90_000 }).map((length) => '€'.repeat(length / 3)),
);

/** `[[[[...]]]]` or `{"a":{"a":...}}`, deep enough to break a recursive walker. */
export const deepNesting = fc
  .record({ depth: fc.integer({ min: 64, max: 20_000 }), kind: fc.constantFrom('array', 'object') })
  .map(
    ({ depth, kind }) =>
      new Raw(kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  );

export const hostileNumbers = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(new Raw('1e999'), new Raw('-1e999'), new Raw('9007199254740993'), new Raw('-0'), new Raw('1.0e-400'), 0, -1, 2 ** 53),
);

/** A value where a field's value goes: never one the field documents as valid. */
export const hostileValues: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileNumbers, weight: 3 },
  { arbitrary: nanLikeStrings, weight: 3 },
  { arbitrary: maliciousStrings, weight: 3 },
  { arbitrary: unicodeStrings, weight: 3 },
  { arbitrary: hugeStrings, weight: 1 },
  { arbitrary: deepNesting, weight: 1 },
  { arbitrary: fc.constantFrom(null, true, false, [], {}), weight: 2 },
  { arbitrary: fc.array(fc.anything(), { maxLength: 5 }), weight: 1 },
  { arbitrary: fc.object({ maxDepth: 2 }), weight: 1 },
);

export const pollution: fc.Arbitrary<{ key: string; value: unknown }> = fc.oneof(
  fc.constant({ key: '__proto__', value: { polluted: 'yes', isAdmin: true } }),
  fc.constant({ key: 'constructor', value: { prototype: { polluted: 'yes' } } }),
);

/** Field names a body was never meant to have, pollution keys among them. */
export const strangeKeys = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', '', ' ', 'id ', 'ID', '$where', '\u0000', 'a.b', 'a[0]', '😀'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
);

/** How JSON text can be broken: each result is not JSON, or not the JSON the route takes. */
export const textDamage = fc.constantFrom<(json: string) => string>(
  (json) => json.slice(0, Math.max(1, Math.floor(json.length / 2))),
  (json) => `${json},`,
  (json) => `${json}}`,
  (json) => `\ufeff${json}`,
  (json) => `/* comment */${json}`,
  (json) => json.replace(/"/g, "'"),
  (json) => json.replace(/:/, ':NaN,"x":'),
  (json) => `${json}${json}`,
  (json) => `[${json}`,
  () => '',
  () => ' ',
  () => 'null',
  () => '"just a string"',
  () => '12345',
  () => '\u0000',
  () => '{"a":undefined}',
);

export const contentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset="utf-8"; boundary=x',
  'application/problem+json',
  'application/vnd.api+json',
  'application/jsonx',
  'text/json',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'application/octet-stream',
  'application/xml',
  '*/*',
  'application/json, text/plain',
  ';',
  'application/',
);

/** A header value as bytes a client can put on the wire: UTF-8 sent as latin-1, line breaks and NULs removed. */
export function onTheWire(value: string): string {
  const latin1 = Buffer.from(value, 'utf8').toString('latin1');
  // eslint-disable-next-line no-control-regex
  return latin1.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '').trim();
}

export const garbageHeaderValues = fc.oneof(
  nanLikeStrings,
  maliciousStrings,
  unicodeStrings,
  fc.string({ maxLength: 300 }),
  // Long, but four of them stay under Node's 16 KiB header limit (its 431 is tested on its own).
  fc.integer({ min: 201, max: 3_000 }).map((length) => 'k'.repeat(length)),
  fc.constantFrom('"0"', '"-1"', '"99999999999999999999"', 'W/"0"', '*', '"0", "1"', '0', '"abc"', '""', '"', 'null'),
);

export const garbageAuthorization = fc.oneof(
  garbageHeaderValues,
  garbageHeaderValues.map((value) => `Bearer ${value}`),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'bearer',
    'Basic YWRtaW46YWRtaW4=',
    'Token flk_x',
    'Bearer flk_',
    'Bearer null',
    'Bearer undefined',
    'Bearer a b',
  ),
  fc.integer({ min: 513, max: 7_000 }).map((length) => `Bearer flk_${'A'.repeat(length)}`),
);

/** A character no route parameter (UUID, programme code, country code) may hold. */
export const paramPoison = fc.constantFrom(
  ' ',
  '!',
  '€',
  '\u0000',
  '/',
  '..',
  '%',
  '"',
  '<',
  '\u202e',
  '😀',
  '\ud800',
  '#',
  '?',
  ';',
  '\\',
  '*',
);
