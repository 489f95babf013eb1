// Feeds every projection from one subscription to $all and owns the position they have applied.
import type { Logger } from 'pino';
import { JournalTree } from '../../audit/journalTree.js';
import {
  readForReplay,
  StoreDamagedError,
  type EventStore,
  type Position,
  type RecordedEvent,
  type Subscription,
} from '../../store/port.js';
import { comparePositions } from '../../store/position.js';
import { FoldedStates } from './fold.js';
import type { Projection } from './projection.js';

type AnyProjection = Projection<unknown>;

interface Waiter {
  readonly position: Position;
  readonly resolve: (reached: boolean) => void;
  readonly timer: NodeJS.Timeout;
}

export class ProjectionRunner {
  private folded: FoldedStates;
  private subscription: Subscription | undefined;
  private applied: Position | undefined;
  private caughtUp = false;
  private waiters: Waiter[] = [];
  private readonly advanceListeners = new Set<(position: Position, event: RecordedEvent) => void>();
  private disconnects = 0;
  private readonly caughtUpOnce: Promise<void>;
  private markCaughtUp!: () => void;
  private failCatchUp!: (error: Error) => void;
  private failed: Error | undefined;
  private lastApplied: RecordedEvent | undefined;
  /** Sliced reads walking the states right now; while any does, new events wait in `held`. */
  private holds = 0;
  private held: RecordedEvent[] = [];
  private drainedListeners: (() => void)[] = [];
  private journalTree = JournalTree.empty();
  private stopping = false;

  constructor(
    private readonly store: EventStore,
    private readonly projections: readonly AnyProjection[],
    private readonly logger: Logger,
  ) {
    this.folded = new FoldedStates(projections);
    this.caughtUpOnce = new Promise((resolve, reject) => {
      this.markCaughtUp = resolve;
      this.failCatchUp = reject;
    });
  }

  /**
   * Starts from saved states (a snapshot) instead of initial ones: the runner then follows the store after `position`.
   * Only before start().
   */
  restore(position: Position, states: ReadonlyMap<string, unknown>, journal: JournalTree): void {
    if (this.subscription !== undefined) throw new Error('restore() must come before start()');
    this.folded = new FoldedStates(this.projections, states);
    this.journalTree = journal;
    this.applied = position;
  }

  /**
   * Starts following the store; resolves once every projection has caught up with what the store held.
   * Rejects if the subscription fails first (a projection that cannot apply an event, a failed read): never hangs.
   */
  async start(): Promise<void> {
    const startedAt = performance.now();
    let count = 0;
    // While catching up nothing asks for the tree: its hashing moves to the other core (audit/treeCatchUp.ts).
    this.journalTree.beginCatchUp();
    const caughtUpNow = (): void => {
      if (!this.caughtUp) {
        this.logger.info({ events: count, ms: Math.round(performance.now() - startedAt) }, 'projections caught up');
      }
      this.caughtUp = true;
      this.markCaughtUp();
    };
    if (this.applied === undefined) {
      try {
        count += await this.foldReadAhead();
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
        await this.caughtUpOnce;
      }
      // Stopped during the read: no subscription to start.
      if (this.stopping) return;
    }
    this.subscription = this.store.subscribeToAll(
      { after: this.applied },
      {
        onEvent: (event) => {
          if (this.holds > 0) this.held.push(event);
          else this.apply(event);
          count += 1;
        },
        onCaughtUp: () => {
          if (!this.journalTree.catchingUp) return caughtUpNow();
          // Ready once the tree has every leaf applied: checkpoints are served from the first request on.
          this.journalTree.settle().then(
            () => {
              if (this.failed === undefined) caughtUpNow();
            },
            (error: Error) => this.fail(error),
          );
        },
        onDisconnected: (error) => {
          this.caughtUp = false;
          this.disconnects += 1;
          this.logger.warn({ err: error }, 'event store subscription lost; reconnecting');
        },
        onError: (error) => this.fail(error),
      },
    );
    await this.caughtUpOnce;
  }

  /**
   * A start without a snapshot folds the whole log: what the store held at start is read on another thread where the
   * store can (readForReplay), and the subscription then follows from the last event folded. A start from a snapshot
   * has little to catch up and goes straight to the subscription. Returns how many events were folded.
   */
  private async foldReadAhead(): Promise<number> {
    if (!('readAllAhead' in this.store)) return 0;
    const head = await this.store.headPosition();
    if (head === undefined) return 0;
    let count = 0;
    for await (const event of readForReplay(this.store, { until: head })) {
      if (this.stopping) break;
      if (this.holds > 0) this.held.push(event);
      else this.apply(event);
      count += 1;
    }
    return count;
  }

  private fail(error: Error): void {
    this.failed = error;
    this.caughtUp = false;
    this.logger.error(error instanceof StoreDamagedError ? { reason: error.message } : { err: error }, 'projection subscription failed');
    this.failCatchUp(error);
  }

  private apply(event: RecordedEvent): void {
    if (this.applied !== undefined && comparePositions(event.position, this.applied) <= 0) return;
    this.folded.apply(event);
    this.journalTree.append(event);
    this.applied = event.position;
    this.lastApplied = event;
    this.releaseWaiters();
    for (const listener of this.advanceListeners) listener(event.position, event);
  }

  /**
   * Keeps every state still until the returned release is called: a read done in slices (an uncached totals answer,
   * an export's rows) then sees one position throughout, though other requests run between its slices. Events that
   * arrive meanwhile wait and are applied, in order, at the last release. A hold asked for while events are waiting
   * starts only after they are applied, so a stream of heavy reads cannot keep the projections behind for long:
   * at most one heavy read's duration.
   */
  async hold(): Promise<() => void> {
    while (this.held.length > 0) await new Promise<void>((resolve) => this.drainedListeners.push(resolve));
    this.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds -= 1;
      if (this.holds === 0) this.applyHeld();
    };
  }

  /** Events waiting for the holds to end. */
  get heldEvents(): number {
    return this.held.length;
  }

  private applyHeld(): void {
    const events = this.held;
    this.held = [];
    for (const event of events) this.apply(event);
    const listeners = this.drainedListeners;
    this.drainedListeners = [];
    for (const listener of listeners) listener();
  }

  /** Every projection's state by name, as of `position`; for digests and snapshots, never to be modified. */
  get states(): ReadonlyMap<string, unknown> {
    return this.folded.byName();
  }

  /** The Merkle tree over every event applied, in the order applied: its size is the number of events applied. */
  get journal(): JournalTree {
    return this.journalTree;
  }

  stateOf<State>(projection: Projection<State>): State {
    return this.folded.stateOf(projection) as State;
  }

  /** The last event applied (since start): what a snapshot names to prove it belongs to this store. */
  get lastEvent(): RecordedEvent | undefined {
    return this.lastApplied;
  }

  /** The position of the last event every projection has applied; undefined before the first event. */
  get position(): Position | undefined {
    return this.applied;
  }

  /** How many times the subscription lost its connection to the store (EventStoreDB) since start. */
  get disconnections(): number {
    return this.disconnects;
  }

  get ready(): boolean {
    return this.caughtUp && this.failed === undefined;
  }

  /** Resolves true once the projections have applied `position`, false after `timeoutMs`. */
  waitFor(position: Position, timeoutMs: number): Promise<boolean> {
    if (this.applied !== undefined && comparePositions(this.applied, position) >= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        position,
        resolve,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Sees every event as it is applied, after every projection has applied it. */
  onAdvance(listener: (position: Position, event: RecordedEvent) => void): () => void {
    this.advanceListeners.add(listener);
    return () => this.advanceListeners.delete(listener);
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0 || this.applied === undefined) return;
    const applied = this.applied;
    this.waiters = this.waiters.filter((waiter) => {
      if (comparePositions(applied, waiter.position) < 0) return true;
      clearTimeout(waiter.timer);
      waiter.resolve(true);
      return false;
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscription?.close();
    this.subscription = undefined;
    // Nothing is left half-applied: a snapshot taken after stop() reflects every event received, the tree included.
    this.holds = 0;
    this.applyHeld();
    try {
      await this.journalTree.settle();
    } catch (error) {
      // No snapshot then (the Snapshotter finds the tree short of the position): the next start rebuilds it.
      this.logger.error({ err: error }, 'the journal tree could not be finished at shutdown');
      await this.journalTree.abandonCatchUp();
    }
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.waiters = [];
  }
}
