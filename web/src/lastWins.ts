// For a control that moves faster than answers come (the time slider): fewer requests while it moves, and only the last one's answer shown.

/**
 * Passes a value on at once when the control was still, then at most one every `intervalMs` while it keeps moving,
 * always ending with the last: a drag shows where it is without a request per pixel, and a key press waits for nothing.
 */
export class Coalescer<T> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private pending: { readonly value: T } | undefined;

  constructor(
    private readonly deliver: (value: T) => void,
    private readonly intervalMs = 150,
  ) {}

  push(value: T): void {
    if (this.timer !== undefined) {
      this.pending = { value };
      return;
    }
    this.deliver(value);
    this.coolDown();
  }

  /** Drops a value still waiting (the reader went back to live, say). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private coolDown(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const pending = this.pending;
      this.pending = undefined;
      if (pending === undefined) return;
      this.deliver(pending.value);
      this.coolDown();
    }, this.intervalMs);
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
