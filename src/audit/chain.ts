// Tamper evidence: each event's hash covers its content and the hash of the event before it in its stream.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonicalJson.js';

/** prevHash of an event at revision 0. */
export const GENESIS_HASH = '0'.repeat(64);

export interface HashableEvent {
  readonly stream: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: Record<string, unknown>;
  /** Metadata including prevHash; a `hash` field, if present, is left out. */
  readonly metadata: Record<string, unknown>;
}

/**
 * SHA-256, hex, over the canonical JSON (keys sorted, no whitespace, UTF-8) of
 * `{ data, metadata (without hash), revision (decimal string), stream, type }`.
 */
export function eventHash(event: HashableEvent): string {
  const { hash: _hash, ...metadata } = event.metadata;
  const canonical = canonicalJson({
    data: event.data,
    metadata,
    revision: event.revision.toString(),
    stream: event.stream,
    type: event.type,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
