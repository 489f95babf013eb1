// Work written as steps gives the same result at once and in slices; slices really give the event loop a turn.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteBoundedCache } from '../../src/runtime/byteBoundedCache.js';
import { sortSteps } from '../../src/runtime/sortSteps.js';
import { runAtOnce, runInSlices, sliced, TimeSlice, type Steps } from '../../src/runtime/timeSlice.js';

function* busySteps(count: number, spinMs: number): Steps<number> {
  let sum = 0;
  for (let step = 0; step < count; step += 1) {
    const until = performance.now() + spinMs;
    while (performance.now() < until) sum += 0;
    sum += step;
    yield;
  }
  return sum;
}

describe('time slices', () => {
  it('run steps to the same result at once and in slices, and let a timer fire between slices', async () => {
    expect(runAtOnce(busySteps(10, 0))).toBe(45);
    let timerFired = false;
    setTimeout(() => (timerFired = true), 0);
    // Forty steps of 1 ms with a 4 ms slice: the timer must get its turn long before the work ends.
    const result = await runInSlices(busySteps(40, 1), new TimeSlice(4));
    expect(result).toBe(780);
    expect(timerFired).toBe(true);
    let blockedTimerFired = false;
    setTimeout(() => (blockedTimerFired = true), 0);
    runAtOnce(busySteps(20, 1));
    expect(blockedTimerFired).toBe(false);
  });

  it('pass every item of an async iterable through, in order', async () => {
    const seen: number[] = [];
    for await (const item of sliced([1, 2, 3, 4, 5], new TimeSlice(0))) seen.push(item);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('sort in steps exactly as a stable Array.prototype.sort does', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.integer({ min: 0, max: 50 }), order: fc.nat() }), { maxLength: 5_000 }), (items) => {
        const compare = (a: { key: number }, b: { key: number }) => a.key - b.key;
        expect(runAtOnce(sortSteps(items, compare))).toEqual([...items].sort(compare));
      }),
      { numRuns: 60 },
    );
  });
});

describe('ByteBoundedCache', () => {
  it('evicts the least recently stored entries to stay within its bytes, and refuses an entry larger than the bound', () => {
    const cache = new ByteBoundedCache<string, Buffer>(100, (body) => body.length);
    cache.set('a', Buffer.alloc(40));
    cache.set('b', Buffer.alloc(40));
    cache.set('a', Buffer.alloc(40)); // stored again: a is now the most recent
    expect(cache.get('b')?.length).toBe(40); // a hit changes no order
    cache.set('c', Buffer.alloc(40));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.length).toBe(40);
    expect(cache.bytes).toBe(80);
    expect(cache.set('huge', Buffer.alloc(101))).toBe(false);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.bytes).toBe(80);
    cache.set('a', Buffer.alloc(10));
    expect(cache.bytes).toBe(50);
    expect(cache.size).toBe(2);
  });
});
