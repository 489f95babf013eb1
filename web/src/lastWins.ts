// For a control that moves faster than answers come (the time slider): fewer requests while it moves, and only the last one's answer shown.

/**
 * Passes a value on at once when the control was still; while it keeps moving, the next goes only once the load of
 * the one before has settled and `intervalMs` has passed, and it is always the latest. A drag shows where it is
 * without a request per pixel, a key press waits for nothing, and a slow answer never has loads queue up behind it.
 */
export class Coalescer<T> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private loading = false;
  private pending: { readonly value: T } | undefined;

  constructor(
    private readonly deliver: (value: T) => Promise<void>,
    private readonly intervalMs = 150,
  ) {}

  push(value: T): void {
    this.pending = { value };
    this.drain();
  }

  /** Drops a value still waiting (the reader went back to live, say); a load under way is the caller's to abort. */
  cancel(): void {
    this.pending = undefined;
  }

  private drain(): void {
    if (this.loading || this.timer !== undefined || this.pending === undefined) return;
    const { value } = this.pending;
    this.pending = undefined;
    this.loading = true;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, this.intervalMs);
    void this.deliver(value)
      .catch(() => undefined)
      .finally(() => {
        this.loading = false;
        this.drain();
      });
  }
}

/**
 * Runs loads so that only the one started last counts: starting one aborts the one before (its fetches with it), and
 * a superseded load resolves to undefined whatever it answered or threw, so answers are never shown out of order.
 */
export class LatestOnly {
  private controller: AbortController | undefined;

  async run<T>(load: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    try {
      const value = await load(controller.signal);
      return this.controller === controller && !controller.signal.aborted ? value : undefined;
    } catch (error) {
      if (this.controller !== controller || controller.signal.aborted) return undefined;
      throw error;
    } finally {
      if (this.controller === controller) this.controller = undefined;
    }
  }

  /** Aborts the load running, if any; it resolves to undefined. */
  cancel(): void {
    this.controller?.abort();
    this.controller = undefined;
  }
}
