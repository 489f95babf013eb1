// Admission of heavy work (exports, uncached totals, as-of rebuilds, long histories, the audit export and replay):
// a bounded number run at once, a bounded queue waits, each client has its own share and its own budget per
// minute. Beyond them the answer is 429 (this client) or 503 (everyone), with Retry-After, as problem+json.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { clientOf } from './auth.js';
import { sendProblem } from './problems.js';

export type HeavyLimits = Config['heavy'];

interface Waiter {
  readonly client: string;
  readonly start: () => void;
  readonly timer: NodeJS.Timeout;
}

/** A fixed window per client: simple, and a client cannot start more than twice the budget in any minute. */
interface Window {
  started: number;
  count: number;
}

const WINDOW_MS = 60_000;

/** How long the gate must stay empty after heavy work before it counts as idle. */
export const IDLE_MS = 2_000;

/** Releases a slot: idempotent, and called by the gate itself when the answer is finished or the client goes away. */
export type Release = () => void;

export class HeavyWorkGate {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  /** Requests running or waiting, per client. */
  private readonly perClient = new Map<string, number>();
  private readonly windows = new Map<string, Window>();

  /** Armed when the last heavy request ends; fires `onIdle` once nothing heavy has run for IDLE_MS. */
  private idleTimer: NodeJS.Timeout | undefined;
  /** What to let go of at idle, before `onIdle`: the caches' share that only a burst of heavy work would use again. */
  private readonly idleReleases: Array<() => void> = [];

  constructor(
    private readonly limits: HeavyLimits,
    private readonly options: {
      /** Called once the gate has been empty for IDLE_MS after heavy work, e.g. to collect its garbage. */
      readonly onIdle?: () => void;
      readonly now?: () => number;
    } = {},
  ) {}

  /** Adds a release to run once heavy work has stopped, before `onIdle` (which collects what it let go). */
  releaseAtIdle(release: () => void): void {
    this.idleReleases.push(release);
  }

  get load(): { readonly running: number; readonly queued: number; readonly concurrency: number; readonly queue: number } {
    return { running: this.running, queued: this.waiting.length, concurrency: this.limits.concurrency, queue: this.limits.queue };
  }

  /**
   * Waits for a slot. Resolves to its release once the work may start, or to undefined once a refusal has been sent.
   * The slot is released when the answer ends (sent, streamed to the end, or the client gone), or earlier by the caller.
   */
  async enter(request: FastifyRequest, reply: FastifyReply): Promise<Release | undefined> {
    const client = clientOf(request);
    if (!this.withinBudget(client, reply)) return undefined;
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.limits.perClient) {
      return refuse(reply, 429, '1', `this client already has ${mine} heavy requests running or waiting; wait for one to finish`);
    }
    if (this.running >= this.limits.concurrency && this.waiting.length >= this.limits.queue) {
      return refuse(
        reply,
        503,
        '5',
        `the service is busy with ${this.running} heavy requests and ${this.waiting.length} waiting; retry shortly`,
      );
    }
    this.perClient.set(client, mine + 1);
    let released = false;
    const release: Release = () => {
      if (released) return;
      released = true;
      this.leave(client);
      this.running -= 1;
      this.startNext();
    };
    if (this.running < this.limits.concurrency) {
      this.running += 1;
      reply.raw.once('close', release);
      return release;
    }
    const started = await this.queue(client, reply);
    if (!started) {
      this.leave(client);
      if (!reply.raw.destroyed && !reply.sent) {
        refuse(reply, 503, '5', `no heavy-work slot came free within ${this.limits.queueTimeoutMs} ms; retry shortly`);
      }
      return undefined;
    }
    reply.raw.once('close', release);
    return release;
  }

  /** True once a slot is this request's (running counted); false after the queue timeout or when the client left. */
  private queue(client: string, reply: FastifyReply): Promise<boolean> {
    return new Promise((resolve) => {
      const leave = (started: boolean): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        clearTimeout(waiter.timer);
        reply.raw.off('close', gone);
        resolve(started);
      };
      const gone = (): void => leave(false);
      const waiter: Waiter = {
        client,
        start: () => {
          this.running += 1;
          leave(true);
        },
        timer: setTimeout(() => leave(false), this.limits.queueTimeoutMs),
      };
      this.waiting.push(waiter);
      reply.raw.once('close', gone);
    });
  }

  /** Gives back one of the client's share (a request that ended, or left the queue). */
  private leave(client: string): void {
    const left = (this.perClient.get(client) ?? 1) - 1;
    if (left === 0) this.perClient.delete(client);
    else this.perClient.set(client, left);
  }

  private startNext(): void {
    while (this.running < this.limits.concurrency && this.waiting.length > 0) (this.waiting[0] as Waiter).start();
    if (this.running === 0 && this.waiting.length === 0 && (this.options.onIdle !== undefined || this.idleReleases.length > 0)) {
      const onIdle = this.options.onIdle;
      clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => {
        if (this.running !== 0 || this.waiting.length !== 0) return;
        for (const release of this.idleReleases) release();
        onIdle?.();
      }, IDLE_MS).unref();
    }
  }

  private withinBudget(client: string, reply: FastifyReply): boolean {
    if (this.limits.perMinute === 0) return true;
    const now = (this.options.now ?? Date.now)();
    let window = this.windows.get(client);
    if (window === undefined || now - window.started >= WINDOW_MS) {
      if (this.windows.size >= 10_000) this.forgetExpired(now);
      window = { started: now, count: 0 };
      this.windows.set(client, window);
    }
    if (window.count >= this.limits.perMinute) {
      const seconds = Math.max(1, Math.ceil((window.started + WINDOW_MS - now) / 1000));
      refuse(reply, 429, String(seconds), `more than ${this.limits.perMinute} heavy requests in a minute; retry after ${seconds} s`);
      return false;
    }
    window.count += 1;
    return true;
  }

  private forgetExpired(now: number): void {
    for (const [client, window] of this.windows) if (now - window.started >= WINDOW_MS) this.windows.delete(client);
  }
}

function refuse(reply: FastifyReply, status: 429 | 503, retryAfter: string, detail: string): undefined {
  reply.header('retry-after', retryAfter);
  sendProblem(reply, {
    type: status === 429 ? 'urn:funding-ledger:problem:too-many-heavy-requests' : 'urn:funding-ledger:problem:overloaded',
    title: status === 429 ? 'Too Many Requests' : 'Service unavailable',
    status,
    detail,
  });
  return undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The one gate of this service's heavy work. */
    heavyWork: HeavyWorkGate;
  }
}

/** For a route: waits for a heavy-work slot; undefined when the refusal has been sent. */
export function admitHeavy(request: FastifyRequest, reply: FastifyReply): Promise<Release | undefined> {
  return request.server.heavyWork.enter(request, reply);
}
