// The one command handler: load the stream (load.ts), decide, append with the expected revision (envelope.ts wraps the events).
import { ConflictError, PreconditionFailedError } from '../domain/errors.js';
import { inSpan } from '../telemetry/spans.js';
import { metadataMayHold, WrongExpectedRevisionError, type EventStore, type Position, type RecordedEvent } from '../store/port.js';
import type { Decider, DomainEvent } from './decider.js';
import { eventsToAppend, type CommandMetadata } from './envelope.js';
import { loadStream } from './load.js';

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
