import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/domain/canonicalJson.js';

describe('canonicalJson', () => {
  it('gives the same text whatever the key order, and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'é' }, u: undefined })).toBe(
      '{"a":{"c":"é","d":[1,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});
