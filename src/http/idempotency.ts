// Idempotency-Key on POST: a retry with the same key and body gets the first answer and appends nothing.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AlreadyRecordedError } from '../commands/handle.js';
import type { CommandMetadata } from '../commands/envelope.js';
import { canonicalJson } from '../domain/canonicalJson.js';
import { IdempotencyKeyReusedError, ValidationError } from '../domain/errors.js';
import { activeTraceId } from '../telemetry/spans.js';
import { idempotencyProjection, idempotencyScope, priorWrite, type IdempotentWrite } from '../projections/models/idempotency.js';
import type { LedgerContext } from './context.js';
import { actorOf } from './auth.js';

/** What a write route answers: kept abstract so a replayed answer is built exactly as the first one was. */
export interface Outcome {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export interface Written {
  readonly write: Omit<IdempotentWrite, 'requestHash'>;
  readonly outcome: Outcome;
}

const inFlight = new WeakMap<LedgerContext, Map<string, Promise<unknown>>>();
const replayListeners = new WeakMap<LedgerContext, Set<(request: FastifyRequest) => void>>();

/** Sees every write answered as a replay of an earlier one (metrics count them); returns the unsubscribe. */
export function onIdempotentReplay(context: LedgerContext, listener: (request: FastifyRequest) => void): () => void {
  const listeners = replayListeners.get(context) ?? new Set();
  replayListeners.set(context, listeners);
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function replayed(context: LedgerContext, request: FastifyRequest): void {
  for (const listener of replayListeners.get(context) ?? []) listener(request);
}

export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(key)) {
    throw new ValidationError('the Idempotency-Key header is invalid', [
      { field: 'Idempotency-Key', message: 'must be 1-200 visible ASCII characters, sent once' },
    ]);
  }
  return key;
}

function requestHashOf(request: FastifyRequest): string {
  const identity = { method: request.method, route: request.routeOptions.url, params: request.params, body: request.body };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

export function commandMetadataOf(
  context: LedgerContext,
  request: FastifyRequest,
  idempotency?: { key: string; hash: string },
): CommandMetadata {
  const correlation = request.headers['x-correlation-id'];
  // The key's id is recorded beside its name (the envelope keeps every field of who wrote): idempotency is scoped by it.
  const metadata: CommandMetadata = {
    actor: actorOf(request),
    ...(request.principal !== undefined && { keyId: request.principal.id }),
    // Without the header: the request's trace id while tracing is on, so the events lead to the trace; else its id.
    correlationId:
      typeof correlation === 'string' && /^[\x21-\x7e]{1,200}$/.test(correlation) ? correlation : (activeTraceId() ?? request.id),
    causationId: request.id,
    now: context.now(),
    idempotencyKey: idempotency?.key,
    requestHash: idempotency?.hash,
  };
  return metadata;
}

function keyReused(): IdempotencyKeyReusedError {
  return new IdempotencyKeyReusedError('this Idempotency-Key was already used for a different request', [
    { field: 'Idempotency-Key', message: 'reuse a key only to retry the identical request' },
  ]);
}

/**
 * Runs a write at most once per (API key id, Idempotency-Key). Concurrent requests with one key wait for the first;
 * the key's record lives in the events' metadata, so it holds across restarts. Across instances the read model may
 * not have applied another instance's write yet: the command handler then finds it in the target stream (before
 * deciding, or after losing the append race) and it is answered here as a replay, exactly as the read model would.
 */
export async function runIdempotently(
  context: LedgerContext,
  request: FastifyRequest,
  execute: (metadata: CommandMetadata) => Promise<Written>,
  replay: (write: IdempotentWrite) => Promise<Outcome>,
): Promise<Outcome> {
  const key = idempotencyKeyOf(request);
  if (key === undefined) return (await execute(commandMetadataOf(context, request))).outcome;
  const hash = requestHashOf(request);
  const owner = request.principal;
  // Write routes need a key (anonymous requests never write), so there is always one here.
  if (owner === undefined) throw new Error('an idempotent write needs an authenticated API key');
  const scope = idempotencyScope(owner.id, key);
  const pending = inFlight.get(context) ?? new Map<string, Promise<unknown>>();
  inFlight.set(context, pending);
  while (pending.has(scope)) await pending.get(scope)?.catch(() => undefined);

  const index = context.projections.stateOf(idempotencyProjection);
  const prior = priorWrite(index, owner, key);
  if (prior !== undefined) {
    if (prior.requestHash !== hash) throw keyReused();
    replayed(context, request);
    return replay(prior);
  }
  const running = execute(commandMetadataOf(context, request, { key, hash }));
  pending.set(scope, running);
  try {
    const { write, outcome } = await running;
    index.set(scope, { ...write, requestHash: hash });
    return outcome;
  } catch (error) {
    if (!(error instanceof AlreadyRecordedError)) throw error;
    const recorded: IdempotentWrite = error.write;
    index.set(scope, recorded);
    if (recorded.requestHash !== hash) throw keyReused();
    replayed(context, request);
    return await replay(recorded);
  } finally {
    pending.delete(scope);
  }
}
