// A subscription to the embedded store: catches up page by page, then takes live events as appends commit.
import type { Logger } from 'pino';
import {
  StoreDamagedError,
  type EventFilter,
  type Position,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandlers,
} from './port.js';
import { PAGE_SIZE } from './embeddedEvents.js';

export type Listener = (events: readonly RecordedEvent[]) => void;

/** The same filter as readAllSql (embedded.ts), for live events. */
function passesFilter(filter: EventFilter | undefined, event: RecordedEvent): boolean {
  const prefixes = filter?.streamPrefixes ?? [];
  const types = filter?.eventTypes ?? [];
  if (prefixes.length > 0 && !prefixes.some((prefix) => event.stream.startsWith(prefix))) return false;
  return types.length > 0 ? types.includes(event.type) : !event.type.startsWith('$');
}

/** What a subscription needs from the store: a filtered page read, and the live listener list. */
export interface SubscriptionSource {
  readPage(after: bigint, limit: number): RecordedEvent[];
  listen(listener: Listener): () => void;
  forget(): void;
}

type Delivery = { readonly kind: 'event'; readonly event: RecordedEvent } | { readonly kind: 'caught-up' };

/**
 * One subscribeToAll: pages through the log, then takes live events from the store's listener list.
 * Handlers run one at a time, in order: while one is running (or its promise pending) later events wait in the queue.
 */
export class EmbeddedSubscription implements Subscription {
  private readonly queue: Delivery[] = [];
  private phase: 'catching-up' | 'live' | 'closed' = 'catching-up';
  private busy = false;
  /** Highest global sequence read from the store or the listener; anything at or below it is never queued again. */
  private readThrough: bigint;
  /** Position of the last event whose handler completed: what onCaughtUp reports. */
  private delivered: Position | undefined;
  private unlisten: () => void = () => undefined;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeOptions,
    private readonly handlers: SubscriptionHandlers,
    private readonly logger: Pick<Logger, 'info' | 'error'> | undefined,
  ) {
    this.readThrough = options.after?.commit ?? 0n;
    this.delivered = options.after;
    // Not synchronously: handlers should not run before subscribeToAll has returned the subscription.
    setImmediate(() => this.catchUp());
  }

  async close(): Promise<void> {
    this.stop();
  }

  stop(): void {
    this.phase = 'closed';
    this.queue.length = 0;
    this.unlisten();
    this.source.forget();
  }

  private catchUp(): void {
    if (this.phase !== 'catching-up') return;
    let page: RecordedEvent[];
    try {
      page = this.source.readPage(this.readThrough, PAGE_SIZE);
    } catch (error) {
      this.fail(error);
      return;
    }
    for (const event of page) this.queue.push({ kind: 'event', event });
    this.readThrough = page.at(-1)?.position.commit ?? this.readThrough;
    if (page.length < PAGE_SIZE) {
      // Same tick as the read above, and appends are synchronous: no event can fall between the two, or land in both.
      this.unlisten = this.source.listen(this.receive);
      this.phase = 'live';
      this.queue.push({ kind: 'caught-up' });
    }
    this.advance();
  }

  private readonly receive = (events: readonly RecordedEvent[]): void => {
    if (this.phase !== 'live') return;
    for (const event of events) {
      if (event.position.commit <= this.readThrough) continue;
      this.readThrough = event.position.commit;
      if (passesFilter(this.options.filter, event)) this.queue.push({ kind: 'event', event });
    }
    this.advance();
  };

  /** Delivers queued events until one returns a pending promise; while catching up, reads the next page when empty. */
  private advance(): void {
    while (!this.busy && this.phase !== 'closed') {
      const next = this.queue.shift();
      if (next === undefined) {
        // Between pages, yield to the event loop so a long catch-up does not starve I/O.
        if (this.phase === 'catching-up') setImmediate(() => this.catchUp());
        return;
      }
      this.deliver(next);
    }
  }

  private deliver(delivery: Delivery): void {
    // Busy also during a synchronous handler: an append made from inside it only queues, and is delivered after.
    this.busy = true;
    const completed = (): void => {
      if (delivery.kind === 'event') this.delivered = delivery.event.position;
      this.busy = false;
    };
    let result: void | Promise<void> = undefined;
    try {
      if (delivery.kind === 'caught-up') this.handlers.onCaughtUp?.(this.delivered);
      else result = this.handlers.onEvent(delivery.event);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (!(result instanceof Promise)) {
      completed();
      return;
    }
    result.then(
      () => {
        completed();
        this.advance();
      },
      (error: unknown) => this.fail(error),
    );
  }

  /** A handler or a read failed: the subscription ends, since going on would skip an event. */
  private fail(cause: unknown): void {
    if (this.phase === 'closed') return;
    this.stop();
    const error = cause instanceof Error ? cause : new Error(String(cause));
    // A damaged file is told in its one sentence (file, damage, what to do); its stack says nothing more.
    this.logger?.error(error instanceof StoreDamagedError ? { reason: error.message } : { err: error }, 'event store subscription stopped');
    try {
      this.handlers.onError?.(error);
    } catch (handlerError) {
      // Never let it escape: this may be running inside append(), after its commit.
      this.logger?.error({ err: handlerError }, 'event store subscription: onError threw');
    }
  }
}
