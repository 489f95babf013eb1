// The one command handler: read the stream, fold, decide, append with the expected revision.
import { randomUUID } from 'node:crypto';
import { v5 as uuidV5 } from 'uuid';
import { eventHash, GENESIS_HASH } from '../audit/chain.js';
import { ConflictError, PreconditionFailedError } from '../domain/errors.js';
import { inSpan } from '../telemetry/spans.js';
import {
  metadataMayHold,
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
  type Position,
  type RecordedEvent,
} from '../store/port.js';
import { comparePositions } from '../store/position.js';
import type { Decider, DomainEvent } from './decider.js';

/** Version of the event envelope (metadata shape); bump when it changes. */
export const EVENT_SCHEMA_VERSION = 1;

/** Namespace for event ids derived from idempotency keys (UUID v5), so a retried append carries the same ids. */
const EVENT_ID_NAMESPACE = '4f1b6a3e-2b1d-5c4e-9a57-0d8e3c2f6b10';

/** Who and why: recorded with every event the command produces. */
export interface CommandMetadata {
  readonly actor: string;
  /** The API key's id (Principal.id); absent for writes from the CLI. Ids derived from an Idempotency-Key use it. */
  readonly keyId?: string | undefined;
  readonly correlationId: string;
  readonly causationId: string;
  /** ISO 8601 instant the command was handled. */
  readonly now: string;
  readonly idempotencyKey?: string | undefined;
  /** Digest of the request that carried the idempotency key, to tell a retry from a reuse. */
  readonly requestHash?: string | undefined;
}

export interface CommandResult<State, Event> {
  readonly state: State;
  readonly events: readonly Event[];
  /** Revision of the stream's last event after the command. */
  readonly revision: bigint;
  readonly position: Position;
}

/** Where a keyed request's events were recorded: the last of them, and the digest of the request that made them. */
export interface RecordedWrite {
  readonly stream: string;
  readonly revision: bigint;
  readonly position: Position;
  readonly requestHash: string;
}

/**
 * The stream already holds the events of this (API key, Idempotency-Key): recorded by another instance whose write
 * this one's read model has not applied yet, or by a racing append. The caller answers it as a replay (or 422 when
 * the request differs); nothing is appended again.
 */
export class AlreadyRecordedError extends Error {
  override readonly name = 'AlreadyRecordedError';
  constructor(readonly write: RecordedWrite) {
    super(`${write.stream} already holds the events of this Idempotency-Key (revision ${write.revision})`);
  }
}

/** Whether a stored event was appended by the keyed request `metadata` describes (same key id, or same actor without one). */
function isWriteOf(event: RecordedEvent, metadata: CommandMetadata): boolean {
  if (metadata.idempotencyKey === undefined || !metadataMayHold(event, 'idempotencyKey')) return false;
  const recorded = event.metadata;
  if (recorded.idempotencyKey !== metadata.idempotencyKey) return false;
  return metadata.keyId === undefined
    ? recorded.keyId === undefined && recorded.actor === metadata.actor
    : recorded.keyId === metadata.keyId;
}

function recordedWriteOf(event: RecordedEvent): RecordedWrite {
  return { stream: event.stream, revision: event.revision, position: event.position, requestHash: String(event.metadata.requestHash) };
}

/** The last event after `fromRevision` that this keyed request appended, if an append raced ours to the stream. */
async function racingWriteOf(
  store: EventStore,
  stream: string,
  fromRevision: bigint,
  metadata: CommandMetadata,
): Promise<RecordedEvent | undefined> {
  let found: RecordedEvent | undefined;
  for await (const event of store.readStream(stream, { fromRevision })) if (isWriteOf(event, metadata)) found = event;
  return found;
}

export interface LoadedStream<State> {
  readonly state: State;
  /** Revision of the last event folded; undefined when the stream does not exist. */
  readonly revision: bigint | undefined;
  readonly last: RecordedEvent | undefined;
}

/** Folds a stream into state; `untilRevision` stops after that revision (to show a past version). */
export async function loadStream<State, Command, Event extends DomainEvent>(
  store: EventStore,
  decider: Decider<State, Command, Event>,
  stream: string,
  /** Stop after this revision, or after the last event at or before this global position; the whole stream when absent. */
  until?: { readonly revision: bigint } | { readonly position: Position },
  /** Sees each event folded, in order. */
  visit?: (event: RecordedEvent) => void,
): Promise<LoadedStream<State>> {
  let state = decider.initialState();
  let last: RecordedEvent | undefined;
  for await (const event of store.readStream(stream)) {
    if (
      until !== undefined &&
      ('revision' in until ? event.revision > until.revision : comparePositions(event.position, until.position) > 0)
    )
      break;
    visit?.(event);
    state = decider.evolve(state, toDomainEvent(decider, event));
    last = event;
  }
  return { state, revision: last?.revision, last };
}

export function toDomainEvent<Event extends DomainEvent>(decider: { eventTypes: readonly Event['type'][] }, event: RecordedEvent): Event {
  if (!decider.eventTypes.includes(event.type)) {
    throw new Error(`stream ${event.stream} holds an event of unknown type ${event.type} at revision ${event.revision}`);
  }
  return { type: event.type, data: event.data } as Event;
}

/** A command's `type` when it has one (every aggregate's commands do): it names the command's span. */
function commandTypeOf(command: unknown): string | undefined {
  const type = typeof command === 'object' && command !== null ? (command as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}

/** Loads, decides and appends in a span of its own, with a child span for each step (the store adds the append's). */
export async function handleCommand<State, Command, Event extends DomainEvent>(
  store: EventStore,
  decider: Decider<State, Command, Event>,
  stream: string,
  command: Command,
  options: { metadata: CommandMetadata; ifMatch?: bigint | undefined },
): Promise<CommandResult<State, Event>> {
  const type = commandTypeOf(command);
  return inSpan(type === undefined ? 'command' : `command ${type}`, { 'ledger.command': type, 'ledger.stream': stream }, async (span) => {
    const result = await runCommand(store, decider, stream, command, options);
    span.setAttributes({ 'ledger.event_types': result.events.map((event) => event.type), 'ledger.revision': Number(result.revision) });
    return result;
  });
}

async function runCommand<State, Command, Event extends DomainEvent>(
  store: EventStore,
  decider: Decider<State, Command, Event>,
  stream: string,
  command: Command,
  options: { metadata: CommandMetadata; ifMatch?: bigint | undefined },
): Promise<CommandResult<State, Event>> {
  const { metadata } = options;
  // A keyed request whose events the stream already holds is answered from them, before If-Match or the decider
  // (which would see its own earlier effect) get a say: another instance may have recorded it a moment ago.
  let earlier: RecordedEvent | undefined;
  const loaded = await inSpan('load', { 'ledger.stream': stream }, async (span) => {
    const folded = await loadStream(store, decider, stream, undefined, (event) => {
      if (isWriteOf(event, metadata)) earlier = event;
    });
    if (folded.revision !== undefined) span.setAttribute('ledger.revision', Number(folded.revision));
    return folded;
  });
  if (earlier !== undefined) throw new AlreadyRecordedError(recordedWriteOf(earlier));
  if (options.ifMatch !== undefined && loaded.revision !== undefined && options.ifMatch !== loaded.revision) {
    throw new PreconditionFailedError(
      `If-Match names revision ${options.ifMatch}, but ${stream} is at revision ${loaded.revision}; reload and retry`,
    );
  }
  const events = await inSpan('decide', {}, () => decider.decide(loaded.state, command));
  const toAppend = eventsToAppend(stream, loaded.last, events, metadata);
  try {
    const result = await store.append(stream, toAppend, loaded.revision ?? 'no-stream');
    const state = events.reduce(decider.evolve, loaded.state);
    return { state, events, revision: result.nextRevision, position: result.position };
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError) {
      // The same request through another instance may be what got there first: then this is its retry, not a conflict.
      const racing =
        metadata.idempotencyKey === undefined ? undefined : await racingWriteOf(store, stream, (loaded.revision ?? -1n) + 1n, metadata);
      if (racing !== undefined) throw new AlreadyRecordedError(recordedWriteOf(racing));
      throw new ConflictError(`another write reached ${stream} first; reload and retry`);
    }
    throw error;
  }
}

/**
 * Wraps decided events for the store: ids, metadata, and the hash chain continued from the stream's last event.
 * The one place events are enveloped; bulk loaders use it too, so every event carries the same proof.
 */
export function eventsToAppend(
  stream: string,
  last: Pick<RecordedEvent, 'revision' | 'metadata'> | undefined,
  events: readonly DomainEvent[],
  metadata: CommandMetadata,
): EventToAppend[] {
  return chained(
    stream,
    last,
    events.map((event, index) => envelope(event, index, metadata)),
  );
}

/** Adds prevHash and hash to each event, continuing the stream's chain from its last event. */
function chained(stream: string, last: Pick<RecordedEvent, 'revision' | 'metadata'> | undefined, events: EventToAppend[]): EventToAppend[] {
  let prevHash = typeof last?.metadata.hash === 'string' ? last.metadata.hash : GENESIS_HASH;
  let revision = last === undefined ? 0n : last.revision + 1n;
  return events.map((event) => {
    const metadata = { ...event.metadata, prevHash };
    const hash = eventHash({ stream, revision, type: event.type, data: event.data, metadata });
    prevHash = hash;
    revision += 1n;
    return { ...event, metadata: { ...metadata, hash } };
  });
}

/**
 * The same request retried gets the same ids, which EventStoreDB deduplicates. The request's digest is part of them, so
 * another request under the same Idempotency-Key never passes for a retry there: it conflicts, and is refused with 422.
 */
function eventIdOf(owner: string, idempotencyKey: string, requestHash: string | undefined, index: number): string {
  const name =
    requestHash === undefined ? `${owner}\n${idempotencyKey}\n${index}` : `${owner}\n${idempotencyKey}\n${requestHash}\n${index}`;
  return uuidV5(name, EVENT_ID_NAMESPACE);
}

function envelope(event: DomainEvent, index: number, metadata: CommandMetadata): EventToAppend {
  const { now, idempotencyKey, requestHash, ...who } = metadata;
  return {
    id: idempotencyKey === undefined ? randomUUID() : eventIdOf(metadata.keyId ?? metadata.actor, idempotencyKey, requestHash, index),
    type: event.type,
    data: event.data as Record<string, unknown>,
    metadata: {
      ...who,
      recordedAt: now,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey, requestHash }),
      schemaVersion: EVENT_SCHEMA_VERSION,
    },
  };
}
