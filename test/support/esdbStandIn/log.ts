// The stand-in's storage: an in-memory transaction log with EventStoreDB's append rules (expected revision, idempotency by event id).
import { randomUUID } from 'node:crypto';

/** A place in the log. As in EventStoreDB: byte offsets of the commit record and of the event's own prepare record. */
export interface LogPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export interface ProposedEvent {
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

export interface StoredEvent extends ProposedEvent {
  readonly stream: string;
  readonly revision: bigint;
  readonly position: LogPosition;
  /** 100 ns ticks since the Unix epoch, as the server sends them in the `created` metadata entry. */
  readonly created: bigint;
}

export type ExpectedVersion =
  | { readonly kind: 'any' }
  | { readonly kind: 'no-stream' }
  | { readonly kind: 'stream-exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

export type AppendOutcome =
  /** Written now, or recognised as a retry of events already written (then nothing is written again). */
  | { readonly kind: 'success'; readonly currentRevision: bigint | undefined; readonly position: LogPosition | undefined }
  | { readonly kind: 'wrong-expected-version'; readonly currentRevision: bigint | undefined };

type CommitCheck = { readonly kind: 'write' } | { readonly kind: 'wrong' } | { readonly kind: 'idempotent'; readonly last: StoredEvent };

/** Record sizes only shape the offsets; what matters is that they grow, and that commit and prepare differ in a transaction. */
const PREPARE_OVERHEAD = 96n;
const COMMIT_RECORD_SIZE = 33n;

export function comparePositions(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export class TransactionLog {
  /** Every event in log order, which is (commit, prepare) order. */
  readonly events: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  /** EventStoreDB keeps a cache of recent event ids for idempotency with 'any'; this one never forgets. */
  private readonly byId = new Map<string, StoredEvent>();
  private readonly listeners = new Set<() => void>();
  /** A fresh database does not start at 0: the first records are the chaser's and the system's own. */
  private nextOffset = 1_024n;

  constructor() {
    // What a fresh node writes to $all before any client does: system streams the ledger must never see.
    this.append('$settings', [systemEvent('$settings')], { kind: 'no-stream' });
    this.append('$user-admin', [systemEvent('$UserCreated')], { kind: 'no-stream' });
    this.append('$users', [systemEvent('$User')], { kind: 'any' });
  }

  streamEvents(stream: string): readonly StoredEvent[] | undefined {
    return this.streams.get(stream);
  }

  /** Index in `events` of the first event at or after `position`. */
  indexAtOrAfter(position: LogPosition): number {
    let low = 0;
    let high = this.events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (comparePositions(this.events[middle]!.position, position) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One atomic write: EventStoreDB's commit check, then every event or none. */
  append(stream: string, proposed: readonly ProposedEvent[], expected: ExpectedVersion): AppendOutcome {
    const existing = this.streams.get(stream) ?? [];
    const currentRevision = existing.length === 0 ? undefined : BigInt(existing.length - 1);
    const check = this.checkCommit(stream, existing, proposed, expected);
    if (check.kind === 'wrong') return { kind: 'wrong-expected-version', currentRevision };
    if (check.kind === 'idempotent') return { kind: 'success', currentRevision: check.last.revision, position: check.last.position };
    if (proposed.length === 0) return { kind: 'success', currentRevision, position: undefined };
    const written = this.write(stream, existing, proposed);
    for (const listener of [...this.listeners]) listener();
    return { kind: 'success', currentRevision: written.at(-1)!.revision, position: written.at(-1)!.position };
  }

  /**
   * EventStoreDB's rules (IndexCommitter.CheckCommit): 'stream-exists' needs a stream and then acts as 'any'; 'any' is a
   * retry when every id is already in this stream; an expected revision behind the stream is a retry when the events
   * after it carry exactly these ids, and a conflict otherwise (a partial match too); ahead of the stream, a conflict.
   */
  private checkCommit(stream: string, existing: readonly StoredEvent[], proposed: readonly ProposedEvent[], expected: ExpectedVersion): CommitCheck {
    if (expected.kind === 'stream-exists' && existing.length === 0) return { kind: 'wrong' };
    if (expected.kind === 'any' || expected.kind === 'stream-exists') {
      let last: StoredEvent | undefined;
      for (const [index, event] of proposed.entries()) {
        const recorded = this.byId.get(event.id);
        if (recorded === undefined || recorded.stream !== stream) return index === 0 ? { kind: 'write' } : { kind: 'wrong' };
        last = recorded;
      }
      return last === undefined ? { kind: 'write' } : { kind: 'idempotent', last };
    }
    const expectedRevision = expected.kind === 'no-stream' ? -1n : expected.revision;
    const current = BigInt(existing.length - 1);
    if (expectedRevision > current) return { kind: 'wrong' };
    if (expectedRevision === current) return { kind: 'write' };
    if (proposed.length === 0) return { kind: 'wrong' };
    let last: StoredEvent | undefined;
    for (const [index, event] of proposed.entries()) {
      const recorded = existing[Number(expectedRevision) + 1 + index];
      if (recorded?.id !== event.id) return { kind: 'wrong' };
      last = recorded;
    }
    return { kind: 'idempotent', last: last! };
  }

  /**
   * One event is a committed prepare (commit = prepare). Several are a transaction: their prepares, then a commit record
   * whose offset becomes every event's commit position, so each has commit != prepare and (commit, prepare) keeps order.
   */
  private write(stream: string, existing: StoredEvent[], proposed: readonly ProposedEvent[]): StoredEvent[] {
    const prepares = proposed.map((event) => {
      const offset = this.nextOffset;
      this.nextOffset += PREPARE_OVERHEAD + BigInt(stream.length + event.type.length + event.data.length + event.customMetadata.length);
      return offset;
    });
    let commit = prepares[0]!;
    if (proposed.length > 1) {
      commit = this.nextOffset;
      this.nextOffset += COMMIT_RECORD_SIZE;
    }
    const created = BigInt(Date.now()) * 10_000n;
    const written = proposed.map(
      (event, index): StoredEvent => ({
        ...event,
        stream,
        revision: BigInt(existing.length + index),
        position: { commit, prepare: prepares[index]! },
        created,
      }),
    );
    existing.push(...written);
    this.streams.set(stream, existing);
    this.events.push(...written);
    for (const event of written) this.byId.set(event.id, event);
    return written;
  }
}

function systemEvent(type: string): ProposedEvent {
  return {
    id: randomUUID(),
    type,
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify({ by: 'esdb-stand-in' })),
    customMetadata: new Uint8Array(),
  };
}
