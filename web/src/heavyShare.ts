// This page's share of the service's heavy work: it refuses a client more than HEAVY_PER_CLIENT requests at once (4 by default) with 429, and an uncached /totals over a large ledger is heavy.

/** Runs at most `size` requests at once; the rest wait their turn, in order. */
export class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async use<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.size) this.running += 1;
    // A slot freed is handed straight to the next waiting, so `running` stays counted for it.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.running -= 1;
      else next();
    }
  }
}

/** Waits before a retry, or rejects at once when the load is aborted. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason as Error)), { once: true });
  });
}

/** Waits before each retry of a refusal that passes (429: this client's share or budget; 503: a full queue). */
const RETRY_DELAYS_MS = [250, 500, 1_000, 2_000];

/** A request that may be refused for a moment: asked again a few times, waiting longer each time, unless aborted. */
export async function retryingRefusals<T>(ask: () => Promise<T>, isPassing: (error: unknown) => boolean, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await ask();
    } catch (error) {
      const delay = RETRY_DELAYS_MS[attempt];
      if (!isPassing(error) || delay === undefined || signal?.aborted === true) throw error;
      await pause(delay, signal);
    }
  }
}
