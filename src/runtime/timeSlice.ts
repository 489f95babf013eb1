// Cooperative time slicing: long work in the service runs in slices of a few milliseconds and lets the event loop
// serve other clients between them. Measured against worker threads in README "Heavy work": the work reads the
// in-memory projections and the store's one SQLite connection, neither of which a worker can reach.

/** A slice's length by default: two heavy jobs at once then hold the loop about 10 ms a turn at most. */
export const DEFAULT_SLICE_MS = 5;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class TimeSlice {
  private started = performance.now();

  constructor(private readonly budgetMs: number = DEFAULT_SLICE_MS) {}

  /** True once the slice has used its budget. */
  due(): boolean {
    return performance.now() - this.started >= this.budgetMs;
  }

  /** Gives the event loop a full turn (I/O included), then starts a new slice. */
  async pause(): Promise<void> {
    await nextTurn();
    this.started = performance.now();
  }

  /** For async loops: pauses only when the slice is used up. */
  async tick(): Promise<void> {
    if (this.due()) await this.pause();
  }
}

/**
 * Work written once as a generator that yields at safe points, run either at once (the CLI, small inputs) or in
 * slices (the service). One implementation, so the sliced answer is the same as the direct one by construction.
 */
export type Steps<T> = Generator<void, T, void>;

export function runAtOnce<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
  }
}

export async function runInSlices<T>(steps: Steps<T>, slice: TimeSlice = new TimeSlice()): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value;
    if (slice.due()) await slice.pause();
  }
}

/** An async iterable that pauses between items whenever the slice is used up. */
export async function* sliced<T>(items: AsyncIterable<T> | Iterable<T>, slice: TimeSlice = new TimeSlice()): AsyncGenerator<T> {
  for await (const item of items) {
    yield item;
    if (slice.due()) await slice.pause();
  }
}
