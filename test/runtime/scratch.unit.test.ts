// The scratch pool: buffers handed back are reused, the smallest that fits first, within a bound, and let go on clear().
import { describe, expect, it } from 'vitest';
import { ScratchPool, view, zeroed } from '../../src/runtime/scratch.js';

describe('ScratchPool', () => {
  it('gives back a buffer handed to it when one that large is asked for again, and a new one otherwise', () => {
    const pool = new ScratchPool(1 << 30, 1024);
    const first = pool.take(100_000);
    expect(first.byteLength).toBeGreaterThanOrEqual(100_000);
    pool.give(first);
    expect(pool.bytes).toBe(first.byteLength);
    expect(pool.take(90_000)).toBe(first);
    expect(pool.bytes).toBe(0);
    expect(pool.take(90_000)).not.toBe(first);
  });

  it('takes the smallest buffer that fits', () => {
    const pool = new ScratchPool(1 << 30, 1024);
    const [large, small, tooSmall] = [pool.take(400_000), pool.take(200_000), pool.take(50_000)];
    for (const buffer of [large, small, tooSmall]) pool.give(buffer);
    expect(pool.take(150_000)).toBe(small);
    expect(pool.take(150_000)).toBe(large);
  });

  it('keeps no buffer under its smallest size, nor one twice, nor more bytes than its bound (the largest go first)', () => {
    const pool = new ScratchPool(500_000, 1024);
    pool.give(new ArrayBuffer(512));
    expect(pool.bytes).toBe(0);
    const [a, b, c] = [new ArrayBuffer(100_000), new ArrayBuffer(300_000), new ArrayBuffer(200_000)];
    pool.give(a);
    pool.give(a);
    expect(pool.bytes).toBe(100_000);
    pool.give(b);
    pool.give(c);
    expect(pool.bytes).toBe(300_000);
    expect(pool.take(250_000)).not.toBe(b);
    pool.clear();
    expect(pool.bytes).toBe(0);
  });

  it('makes views of exactly the length asked, zeroed when asked, over memory used before', () => {
    const pool = new ScratchPool(1 << 30, 0);
    const dirty = view(pool, Float64Array, 1000).fill(7);
    pool.give(dirty.buffer);
    const again = zeroed(pool, Float64Array, 900);
    expect(again.buffer).toBe(dirty.buffer);
    expect(again.length).toBe(900);
    expect(again.every((value) => value === 0)).toBe(true);
  });
});
