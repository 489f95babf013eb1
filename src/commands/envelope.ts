// The event envelope: ids, metadata and the hash chain that wrap decided events for the store.
// The one place events are enveloped: the command handler and the bulk loaders use it alike.
import { randomUUID } from 'node:crypto';
import { v5 as uuidV5 } from 'uuid';
import { eventHash, GENESIS_HASH } from '../audit/chain.js';
import type { EventToAppend, RecordedEvent } from '../store/port.js';
import type { DomainEvent } from './decider.js';
import { CURRENT_SCHEMA_VERSION } from './upcasters.js';

/**
 * Schema version written into every event's metadata: bump it when the envelope or an event's data changes shape,
 * with an upcaster step from the previous version (upcasters.ts). 2: re-announcements, commitments, disbursements.
 */
export const EVENT_SCHEMA_VERSION = CURRENT_SCHEMA_VERSION;

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
