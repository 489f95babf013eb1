// The page's share of heavy work: no more requests at once than the service allows a client, and a passing refusal asked again.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retryingRefusals, Slots } from '../../web/src/heavyShare.js';

describe('slots', () => {
  it('runs at most its size at once, and the rest in the order they came', async () => {
    const slots = new Slots(2);
    const running = new Set<number>();
    let most = 0;
    const started: number[] = [];
    const release = new Map<number, () => void>();
    const work = (id: number) =>
      slots.use(async () => {
        started.push(id);
        running.add(id);
        most = Math.max(most, running.size);
        await new Promise<void>((resolve) => release.set(id, resolve));
        running.delete(id);
        return id;
      });

    const all = Promise.all([1, 2, 3, 4, 5].map(work));
    await Promise.resolve();
    expect(started).toEqual([1, 2]);
    for (const id of [2, 1, 3, 4, 5]) {
      await vi.waitFor(() => expect(release.has(id)).toBe(true));
      release.get(id)?.();
    }

    expect(await all).toEqual([1, 2, 3, 4, 5]);
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it('frees the slot of a request that failed', async () => {
    const slots = new Slots(1);
    await expect(slots.use(() => Promise.reject(new Error('HTTP 500')))).rejects.toThrow('HTTP 500');

    expect(await slots.use(() => Promise.resolve('next'))).toBe('next');
  });
});

describe('asking again after a refusal that passes', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const busy = new Error('429');
  const passing = (error: unknown) => error === busy;

  it('asks again, waiting longer each time, until it is answered', async () => {
    const asked: number[] = [];
    const answer = retryingRefusals(() => {
      asked.push(Date.now());
      return asked.length < 3 ? Promise.reject(busy) : Promise.resolve('totals');
    }, passing);

    await vi.advanceTimersByTimeAsync(750);

    expect(await answer).toBe('totals');
    expect(asked.map((at) => at - (asked[0] ?? 0))).toEqual([0, 250, 750]);
  });

  it('gives up after four retries, and never retries any other failure', async () => {
    let asked = 0;
    const refused = retryingRefusals(() => (asked++, Promise.reject(busy)), passing);
    const expectation = expect(refused).rejects.toBe(busy);
    await vi.advanceTimersByTimeAsync(10_000);
    await expectation;
    expect(asked).toBe(5);

    const broken = new Error('400');
    await expect(retryingRefusals(() => Promise.reject(broken), passing)).rejects.toBe(broken);
  });

  it('stops waiting when the load is aborted', async () => {
    const controller = new AbortController();
    const answer = retryingRefusals(() => Promise.reject(busy), passing, controller.signal);
    const expectation = expect(answer).rejects.toThrow();
    await vi.advanceTimersByTimeAsync(100);
    controller.abort();
    await expectation;
  });
});
