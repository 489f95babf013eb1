// The byte-bounded cache: evicts the oldest stored to fit, refuses what alone is over, and lets a burst's entries go.
import { describe, expect, it } from 'vitest';
import { ByteBoundedCache } from '../../src/runtime/byteBoundedCache.js';

const cacheOf = (maxBytes: number) => new ByteBoundedCache<string, string>(maxBytes, (value) => value.length);

describe('the byte-bounded cache', () => {
  it('evicts the least recently stored until a new entry fits, and refuses one over the bound', () => {
    const cache = cacheOf(10);
    cache.set('a', 'xxxx');
    cache.set('b', 'yyyy');
    expect(cache.set('c', 'zzzz')).toBe(true);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 'yyyy', 'zzzz']);
    expect(cache.bytes).toBe(8);
    expect(cache.set('d', 'x'.repeat(11))).toBe(false);
    expect(cache.size).toBe(2);
  });

  it('drops only the entries the predicate picks, given their values and bytes, and clears', () => {
    const cache = cacheOf(100);
    cache.set('small', 'ab');
    cache.set('large', 'x'.repeat(40));
    cache.set('medium', 'x'.repeat(10));
    cache.set('kept', 'y'.repeat(40));
    cache.dropWhere((value, bytes) => bytes > 10 && !value.startsWith('y'));
    expect([cache.get('small'), cache.get('large'), cache.get('medium')]).toEqual(['ab', undefined, 'x'.repeat(10)]);
    cache.delete('kept');
    expect(cache.bytes).toBe(12);
    cache.clear();
    expect([cache.size, cache.bytes, cache.get('small')]).toEqual([0, 0, undefined]);
    cache.set('again', 'abc');
    expect(cache.bytes).toBe(3);
  });
});
