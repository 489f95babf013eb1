// The time slider's requests: fewer while it moves, the last position always asked, and only the last answer shown.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coalescer, LatestOnly } from '../../web/src/lastWins.js';

/** A load that answers when told to, and records whether it was aborted. */
function aLoad<T>() {
  let answer!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const seen: { signal?: AbortSignal } = {};
  const load = (signal: AbortSignal): Promise<T> => {
    seen.signal = signal;
    return new Promise<T>((resolve, reject) => {
      answer = resolve;
      fail = reject;
      signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    });
  };
  return { load, answer: (value: T) => answer(value), fail: (error: unknown) => fail(error), seen };
}

describe('coalescing the positions of a moving slider', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** Records each value passed on; its load settles at once unless `held` (then when the test says). */
  function aSlider(intervalMs = 150) {
    const delivered: number[] = [];
    const held: (() => void)[] = [];
    let hold = false;
    const moves = new Coalescer<number>((value) => {
      delivered.push(value);
      return hold ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve();
    }, intervalMs);
    return {
      moves,
      delivered,
      holdLoads: () => (hold = true),
      settleLoad: () => held.shift()?.(),
    };
  }

  it('passes a single move on at once', () => {
    const { moves, delivered } = aSlider();
    moves.push(3);

    expect(delivered).toEqual([3]);
  });

  it('while moving, passes at most one position per interval and always ends with the last', async () => {
    const { moves, delivered } = aSlider();

    for (const position of [1, 2, 3, 4]) moves.push(position);
    expect(delivered).toEqual([1]);
    await vi.advanceTimersByTimeAsync(150);
    expect(delivered).toEqual([1, 4]);
    moves.push(5);
    moves.push(6);
    await vi.advanceTimersByTimeAsync(149);
    expect(delivered).toEqual([1, 4]);
    await vi.advanceTimersByTimeAsync(1);
    expect(delivered).toEqual([1, 4, 6]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(delivered).toEqual([1, 4, 6]);

    // Still again: the next move goes at once.
    moves.push(7);
    expect(delivered).toEqual([1, 4, 6, 7]);
  });

  it('asks for nothing more while a load is under way, then for the latest position only', async () => {
    const { moves, delivered, holdLoads, settleLoad } = aSlider();
    holdLoads();
    moves.push(1);
    for (const position of [2, 3, 4]) moves.push(position);

    await vi.advanceTimersByTimeAsync(5_000);
    expect(delivered).toEqual([1]);
    settleLoad();
    await vi.advanceTimersByTimeAsync(0);
    expect(delivered).toEqual([1, 4]);
  });

  it('drops a waiting position when cancelled (back to live)', async () => {
    const { moves, delivered } = aSlider();
    moves.push(1);
    moves.push(2);

    moves.cancel();
    await vi.advanceTimersByTimeAsync(1_000);

    expect(delivered).toEqual([1]);
    moves.push(3);
    expect(delivered).toEqual([1, 3]);
  });
});

describe('only the latest load counts', () => {
  it('aborts the load before when a new one starts, and resolves the superseded one to undefined', async () => {
    const latest = new LatestOnly();
    const older = aLoad<string>();
    const newer = aLoad<string>();

    const first = latest.run(older.load);
    const second = latest.run(newer.load);

    expect(older.seen.signal?.aborted).toBe(true);
    expect(newer.seen.signal?.aborted).toBe(false);
    newer.answer('position 4');
    expect(await first).toBeUndefined();
    expect(await second).toBe('position 4');
  });

  it('never hands back an answer that arrives after a later load started, even one that ignored the abort', async () => {
    const latest = new LatestOnly();
    let answerOlder!: (value: string) => void;
    const first = latest.run(() => new Promise<string>((resolve) => (answerOlder = resolve)));
    const newer = aLoad<string>();
    const second = latest.run(newer.load);

    newer.answer('position 4');
    expect(await second).toBe('position 4');
    answerOlder('position 2');
    expect(await first).toBeUndefined();
  });

  it('passes on the failure of the latest load, and swallows that of a superseded one', async () => {
    const latest = new LatestOnly();
    const older = aLoad<string>();
    const first = latest.run(older.load);
    older.fail(new Error('the ledger answered HTTP 500'));
    await expect(first).rejects.toThrow('HTTP 500');

    const superseded = aLoad<string>();
    const pending = latest.run(superseded.load);
    latest.cancel();
    expect(await pending).toBeUndefined();
  });
});
