// A subscription to EventStoreDB's $all that outlives the server going away (see EventStoreDbSubscription).
import { UnavailableError, convertToCommandError } from '@eventstore/db-client';
import type { Logger } from 'pino';
import { isUnavailable, passesTypes, readMessages, toRecordedEvent, type ReadCall, type ReadMessage } from './eventStoreDbMessages.js';
import type { Position, SubscribeOptions, Subscription, SubscriptionHandlers } from './port.js';
import { comparePositions, formatPosition } from './position.js';

export interface SubscriptionSettings {
  readonly logger?: Pick<Logger, 'warn' | 'error'> | undefined;
  /** The wait between reconnection attempts, doubling from `firstMs` up to `maxMs`. */
  readonly reconnectBackoff?: { readonly firstMs: number; readonly maxMs: number } | undefined;
}

/** What a subscription is given by the store: where to look, and how to (re)open its read. */
export interface SubscriptionSource {
  readonly prefixes: readonly string[];
  head(): Promise<Position | undefined>;
  open(from: Position | 'start'): Promise<ReadCall>;
  forget(): void;
}

/** A handler threw: the subscription ends, as the port says, instead of reconnecting. */
class HandlerFailure extends Error {}

/**
 * One subscribeToAll that outlives the server going away: on a lost connection it reports onDisconnected, waits
 * (doubling, capped, jittered), and subscribes again after the last event it delivered, so nothing is applied twice or
 * missed. Caught up is the server's CaughtUp message (sent from 24.2 on) or, for older servers, reaching the last
 * position the stream filter matched when the connection was made.
 */
export class EventStoreDbSubscription implements Subscription {
  private stopped = false;
  private delivered: Position | undefined;
  private call: ReadCall | undefined;
  private wake: () => void = () => undefined;

  constructor(
    private readonly source: SubscriptionSource,
    private readonly options: SubscribeOptions,
    private readonly handlers: SubscriptionHandlers,
    private readonly settings: SubscriptionSettings,
  ) {
    this.delivered = options.after;
    // Not synchronously: handlers should not run before subscribeToAll has returned the subscription.
    setImmediate(() => void this.run());
  }

  async close(): Promise<void> {
    this.stop();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    const call = this.call;
    // Cancelled on the next turn, as the client does: grpc-js misbehaves when a call is cancelled inside its own callbacks.
    if (call !== undefined) setImmediate(() => call.cancel());
    this.wake();
    this.source.forget();
  }

  private async run(): Promise<void> {
    // No stream can match: caught up at once, and nothing will ever come.
    if (this.source.prefixes.length === 0)
      return this.notify(() => this.handlers.onCaughtUp?.(this.delivered)).catch((error: unknown) => this.fail(error));
    const { firstMs, maxMs } = this.settings.reconnectBackoff ?? { firstMs: 100, maxMs: 5_000 };
    let attempt = 0;
    let connected = true;
    while (!this.stopped) {
      try {
        await this.follow(() => {
          attempt = 0;
          connected = true;
        });
        if (!this.stopped) throw new UnavailableError(undefined, 'EventStoreDB ended the subscription');
      } catch (error) {
        if (this.stopped) return;
        const cause = error instanceof Error ? convertToCommandError(error) : new Error(String(error));
        if (!isUnavailable(cause)) return this.fail(cause);
        if (connected) {
          connected = false;
          this.settings.logger?.warn(
            { err: cause, after: this.delivered && formatPosition(this.delivered) },
            'EventStoreDB subscription lost; reconnecting',
          );
          await this.notify(() => this.handlers.onDisconnected?.(cause)).catch((failure: unknown) => this.fail(failure));
        }
        const capped = Math.min(maxMs, firstMs * 2 ** attempt);
        attempt += 1;
        await this.pause(capped / 2 + (Math.random() * capped) / 2);
      }
    }
  }

  /** One connection: subscribe after the last delivered event, deliver until the stream ends or fails. */
  private async follow(confirmed: () => void): Promise<void> {
    const from = this.delivered;
    const head = await this.source.head();
    if (this.stopped) return;
    const call = await this.source.open(from ?? 'start');
    this.call = call;
    if (this.stopped) return call.cancel();
    let live = false;
    const reached = (position: Position): boolean => head === undefined || comparePositions(position, head) >= 0;
    const goLive = async (): Promise<void> => {
      if (live) return;
      live = true;
      await this.notify(() => this.handlers.onCaughtUp?.(this.delivered));
    };
    for await (const message of readMessages(call)) {
      if (this.stopped) return;
      if (message.kind === 'confirmation') {
        confirmed();
        if (head === undefined || (from !== undefined && reached(from))) await goLive();
      } else if (message.kind === 'caught-up') {
        await goLive();
      } else if (message.kind === 'event' || message.kind === 'checkpoint') {
        if (message.kind === 'event') await this.deliver(message);
        if (reached(message.position)) await goLive();
      }
    }
  }

  private async deliver(message: Extract<ReadMessage, { kind: 'event' }>): Promise<void> {
    // After a reconnect the server may offer again what was delivered before it: never twice.
    if (this.delivered !== undefined && comparePositions(message.position, this.delivered) <= 0) return;
    if (!passesTypes(this.options.filter, message.type)) return;
    const event = toRecordedEvent(message.record);
    await this.notify(() => this.handlers.onEvent(event));
    this.delivered = event.position;
  }

  /** Runs a handler unless stopped; what it throws ends the subscription. */
  private async notify(handler: () => void | Promise<void>): Promise<void> {
    if (this.stopped) return;
    try {
      await handler();
    } catch (error) {
      throw new HandlerFailure('subscription handler failed', { cause: error });
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private fail(cause: unknown): void {
    if (this.stopped) return;
    this.stop();
    const error = cause instanceof HandlerFailure ? cause.cause : cause;
    const failure = error instanceof Error ? error : new Error(String(error));
    this.settings.logger?.error({ err: failure }, 'EventStoreDB subscription stopped');
    try {
      this.handlers.onError?.(failure);
    } catch (handlerError) {
      this.settings.logger?.error({ err: handlerError }, 'EventStoreDB subscription: onError threw');
    }
  }
}
