// Route: Server-Sent Events announcing each position the projections reach, so a dashboard refreshes without polling.
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { KeyRing, Principal } from '../../auth/keys.js';
import type { LedgerContext } from '../context.js';
import { currentPosition } from '../consistency.js';
import { positionSchema } from '../../schemas/common.js';
import { authProblems, looseResponses } from '../../schemas/responses.js';

export interface TotalsStreamOptions {
  readonly context: LedgerContext;
  /**
   * How often a comment line is sent while nothing happens, so proxies and clients see the connection is alive.
   * @defaultValue 15_000
   */
  readonly heartbeatMs?: number;
  /**
   * The least time between two events on one connection: a burst of writes becomes one event a window, carrying
   * the last position of the burst.
   * @defaultValue 250
   */
  readonly minIntervalMs?: number;
}

/** How often open streams check that their key is still valid: a revoked key's streams end within this. */
const KEY_CHECK_MS = 1_000;

/**
 * One timer for every open stream that was opened with a key: each tick ends those whose key was revoked since.
 * It runs only while such streams are open.
 */
function keyWatch(keys: KeyRing): { watch(principal: Principal, end: () => void): () => void } {
  const watched = new Map<() => void, Principal>();
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    const active = new Map<string, boolean>();
    for (const [end, principal] of watched) {
      let valid = active.get(principal.id);
      if (valid === undefined) active.set(principal.id, (valid = keys.isActive(principal)));
      if (!valid) end();
    }
  };
  return {
    watch(principal, end) {
      watched.set(end, principal);
      timer ??= setInterval(check, KEY_CHECK_MS).unref();
      return () => {
        watched.delete(end);
        if (watched.size === 0) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
  };
}

const positionEventSchema = z
  .object({ position: positionSchema })
  .meta({ id: 'PositionEvent', description: "The JSON of each event's `data` line; the event's `id` is the same position" });

const streamSchema = {
  operationId: 'streamTotalsPosition',
  summary: 'Server-Sent Events: the position, whenever the totals may have changed',
  description:
    'A `text/event-stream` that never ends by itself. The first event carries the current position; then one event each time the ' +
    'projections advance (at most four a second: a burst is sent as its last position), and a `: heartbeat` comment every 15 s. ' +
    'Refetch what you show with `minPosition` set to the position received. The key goes in the Authorization header as on every ' +
    'route: read it with fetch() and a stream reader (EventSource cannot send headers; it works as is when reads are public).',
  tags: ['Totals'],
  // A stream is sent as is, never through the serializer; the schema documents each event's data.
  response: looseResponses({
    200: {
      description: 'The event stream: `id: <position>` and `data: {"position":"<position>"}` per event',
      content: { 'text/event-stream': { schema: positionEventSchema } },
    },
    ...authProblems,
  }),
};

/** One event in the text/event-stream format; the id lets a reconnecting client say where it was. */
function positionEvent(position: string): string {
  return `id: ${position}\ndata: ${JSON.stringify({ position })}\n\n`;
}

export const totalsStreamRoutes: FastifyPluginAsync<TotalsStreamOptions> = async (app, options) => {
  const { projections, keys } = options.context;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const minIntervalMs = options.minIntervalMs ?? 250;
  // Open streams never finish on their own, and fastify.close() waits for every busy connection: end them first.
  const open = new Set<() => void>();
  const keyWatcher = keyWatch(keys);
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get('/totals/stream', { schema: streamSchema, config: { scope: 'read' }, exposeHeadRoute: false }, async (request, reply) => {
    const stream = new PassThrough();
    let lastSent: string | undefined;
    let lastSentAt = 0;
    let pending: NodeJS.Timeout | undefined;

    const sendPosition = (): void => {
      pending = undefined;
      const position = currentPosition(projections);
      if (position === lastSent) return;
      lastSent = position;
      lastSentAt = Date.now();
      stream.write(positionEvent(position));
    };
    // Never sent from inside onAdvance: the events of one append are applied in one go, and only the last matters.
    const unsubscribe = projections.onAdvance(() => {
      if (pending === undefined) pending = setTimeout(sendPosition, Math.max(0, lastSentAt + minIntervalMs - Date.now()));
    });
    const heartbeat = setInterval(() => stream.write(': heartbeat\n\n'), heartbeatMs);
    // A stream read without a key (public reads) has no key to lose.
    let unwatch = (): void => undefined;

    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(pending);
      unwatch();
      open.delete(end);
      stream.end();
    };
    open.add(end);
    if (request.principal !== undefined) unwatch = keyWatcher.watch(request.principal, end);
    // 'close' comes when the response ends and when the client goes away mid-stream.
    reply.raw.on('close', end);
    request.log.debug('totals stream opened');

    stream.write('retry: 2000\n\n');
    sendPosition();
    return (
      reply
        .header('cache-control', 'no-cache, no-transform')
        // Tells a buffering reverse proxy (nginx) to pass each event on at once.
        .header('x-accel-buffering', 'no')
        .type('text/event-stream; charset=utf-8')
        .send(stream)
    );
  });
};
