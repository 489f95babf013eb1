// The stand-in's storage: an in-memory transaction log with EventStoreDB's write rules (expected revision, bounded
// idempotency by event id, soft delete and tombstones), each modelled on the server file named beside it (v24.10.0).
import { randomUUID } from 'node:crypto';
import { CommittedEvents } from './committedEvents.js';

/** A place in the log: byte offsets of the commit record and of the event's own prepare record. */
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
  | { readonly kind: 'wrong-expected-version'; readonly currentRevision: bigint | undefined }
  | { readonly kind: 'stream-deleted' };

export type DeleteOutcome = { readonly kind: 'success'; readonly position: LogPosition } | Exclude<AppendOutcome, { kind: 'success' }>;

export type StreamRead =
  { readonly kind: 'events'; readonly events: readonly StoredEvent[] } | { readonly kind: 'not-found' } | { readonly kind: 'deleted' };

/** EventNumber.DeletedStream (long.MaxValue): a tombstone's revision, and the `$tb` a soft delete writes. */
export const DELETED_STREAM = 2n ** 63n - 1n;

type CommitCheck =
  | { readonly kind: 'ok'; readonly current: bigint; readonly softDeleted: boolean }
  | { readonly kind: 'wrong'; readonly current: bigint }
  | { readonly kind: 'deleted' }
  | { readonly kind: 'idempotent'; readonly last: StoredEvent };

/** Record sizes only shape the offsets; what matters is that they grow and that only record starts are positions. */
const PREPARE_OVERHEAD = 96n;

export function comparePositions(a: LogPosition, b: LogPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export interface TransactionLogOptions {
  /** Bytes of the recent-event-id window that makes 'any' and 'stream-exists' retries idempotent. @defaultValue 8 MiB, as the server */
  readonly committedEventsBytes?: number;
}

export class TransactionLog {
  /** Every event record in log order: data events, `$metadata` events of soft deletes, tombstones. */
  readonly events: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly tombstones = new Map<string, StoredEvent>();
  private readonly recordStarts = new Set<bigint>();
  private readonly committed: CommittedEvents;
  private readonly listeners = new Set<() => void>();
  /** A fresh database does not start at 0: the first records are the epoch's and the system's own. */
  private nextOffset = 1_024n;

  constructor(options: TransactionLogOptions = {}) {
    this.committed = new CommittedEvents(options.committedEventsBytes);
    // What a fresh node writes to $all before any client does: system streams the ledger must never see.
    this.append('$settings', [systemEvent('$settings')], { kind: 'no-stream' });
    this.append('$user-admin', [systemEvent('$UserCreated')], { kind: 'no-stream' });
    this.append('$users', [systemEvent('$User')], { kind: 'any' });
  }

  /** The writer checkpoint: where the next record goes. */
  get end(): bigint {
    return this.nextOffset;
  }

  /**
   * Whether a read of $all can start at this commit position. The server repositions its chunk reader there and reads
   * a record, so anything but a record's first byte fails with InvalidReadException; at or past the end it reads nothing
   * (AllReader.ReadAllEventsForwardInternal / ReadAllEventsBackwardInternal in
   * src/EventStore.Core/Services/Storage/ReaderIndex/AllReader.cs; TFChunkReadSide.cs throws InvalidReadException).
   */
  isReadablePosition(position: LogPosition): boolean {
    if (position.commit >= 2n ** 63n || position.prepare >= 2n ** 63n) return false; // negative as the server's long
    return position.commit === 0n || position.commit >= this.nextOffset || this.recordStarts.has(position.commit);
  }

  /**
   * A stream as a read sees it (IndexReader.ReadStreamEventsForward in
   * src/EventStore.Core/Services/Storage/ReaderIndex/IndexReader.cs): tombstoned is StreamDeleted; no events or a
   * soft delete (`$tb` = DeletedStream) is NoStream; otherwise the events from `$tb` on.
   */
  readStream(stream: string): StreamRead {
    if (this.tombstones.has(stream)) return { kind: 'deleted' };
    const events = this.streams.get(stream) ?? [];
    const truncateBefore = this.truncateBefore(stream);
    if (events.length === 0 || truncateBefore === DELETED_STREAM) return { kind: 'not-found' };
    return { kind: 'events', events: truncateBefore === 0n ? events : events.slice(Number(truncateBefore)) };
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

  /**
   * One atomic write, as StorageWriterService handles WritePrepares (src/EventStore.Core/Services/Storage/
   * StorageWriterService.cs): the commit check, then every event or none. Over gRPC every event is its own committed
   * prepare, so each has commit = prepare = its record's offset, and the answer carries the last one's.
   */
  append(stream: string, proposed: readonly ProposedEvent[], expected: ExpectedVersion): AppendOutcome {
    const check = this.checkCommit(
      stream,
      expected,
      proposed.map((event) => event.id),
    );
    if (check.kind === 'wrong') return { kind: 'wrong-expected-version', currentRevision: check.current < 0n ? undefined : check.current };
    if (check.kind === 'deleted') return { kind: 'stream-deleted' };
    if (check.kind === 'idempotent') return { kind: 'success', currentRevision: check.last.revision, position: check.last.position };
    if (proposed.length === 0)
      return { kind: 'success', currentRevision: check.current < 0n ? undefined : check.current, position: undefined };
    const undeleteMetastream = stream.startsWith('$$') && this.isSoftDeleted(stream.slice(2));
    const written = proposed.map((event) => this.write(stream, event));
    // A write to a soft-deleted stream brings it back from the next revision on (SoftUndeleteStream); so does new
    // metadata for it (SoftUndeleteMetastream): both rewrite `$tb` in the stream's metadata.
    if (check.softDeleted) this.writeTruncateBefore(stream, check.current + 1n, this.lastMetadata(stream));
    if (undeleteMetastream) this.writeTruncateBefore(stream.slice(2), this.lastEventNumber(stream.slice(2)) + 1n, written.at(-1)!.data);
    this.notify();
    return { kind: 'success', currentRevision: written.at(-1)!.revision, position: written.at(-1)!.position };
  }

  /**
   * Streams.Delete and Streams.Tombstone, as StorageWriterService handles WriteDelete: the same commit check (with a new
   * event id), then a tombstone record (revision DeletedStream, type `$streamDeleted`) or, for a soft delete, metadata
   * `{"$tb": DeletedStream}` in `$$stream` (refused when neither the stream nor its metadata exists).
   */
  delete(stream: string, expected: ExpectedVersion, hard: boolean): DeleteOutcome {
    const check = this.checkCommit(stream, expected, [randomUUID()]);
    if (check.kind === 'wrong') return { kind: 'wrong-expected-version', currentRevision: check.current < 0n ? undefined : check.current };
    if (check.kind === 'deleted') return { kind: 'stream-deleted' };
    let record: StoredEvent;
    if (hard) {
      record = this.write(
        stream,
        { ...systemEvent('$streamDeleted'), contentType: 'application/octet-stream', data: new Uint8Array() },
        DELETED_STREAM,
      );
      this.tombstones.set(stream, record);
    } else {
      if (this.lastEventNumber(stream) < 0n && this.lastEventNumber(`$$${stream}`) < 0n)
        return { kind: 'wrong-expected-version', currentRevision: undefined };
      record = this.write(`$$${stream}`, metadataEvent(`{"$tb":${DELETED_STREAM}}`));
    }
    this.notify();
    return { kind: 'success', position: record.position };
  }

  /**
   * IndexWriter.CheckCommit (src/EventStore.Core/Services/Storage/ReaderIndex/IndexWriter.cs). A tombstoned stream is
   * Deleted. 'stream-exists' needs a stream (or its metadata) that is not soft-deleted. 'any' and 'stream-exists' are a
   * retry only while every id is still in the bounded cache of recent commits, in this stream; a first id not there is a
   * new write. An exact revision behind the stream is a retry when the events after it carry these ids (the cache, or
   * else the index: durable); a partial match is a conflict; ahead of the stream, a conflict.
   */
  private checkCommit(stream: string, expected: ExpectedVersion, ids: readonly string[]): CommitCheck {
    const current = this.lastEventNumber(stream);
    if (current === DELETED_STREAM) return { kind: 'deleted' };
    const softDeleted = this.isSoftDeleted(stream);
    if (expected.kind === 'stream-exists') {
      if (softDeleted) return { kind: 'deleted' };
      if (current < 0n && this.lastEventNumber(`$$${stream}`) < 0n) return { kind: 'wrong', current };
    }
    if (expected.kind === 'any' || expected.kind === 'stream-exists') {
      let last: StoredEvent | undefined;
      for (const [index, id] of ids.entries()) {
        const recorded = this.committed.get(id);
        if (recorded === undefined || recorded.stream !== stream) {
          return index === 0 ? { kind: 'ok', current, softDeleted } : { kind: 'wrong', current };
        }
        last = this.eventAt(stream, recorded.revision);
      }
      if (last === undefined) return { kind: 'ok', current, softDeleted };
      return { kind: 'idempotent', last };
    }
    const expectedRevision = expected.kind === 'no-stream' ? -1n : expected.revision;
    if (expectedRevision < current) {
      let revision = expectedRevision;
      for (const id of ids) {
        revision += 1n;
        const recorded = this.committed.get(id);
        if (recorded?.stream === stream && recorded.revision === revision) continue;
        if (this.eventAt(stream, revision)?.id === id) continue;
        if (revision !== expectedRevision + 1n) return { kind: 'wrong', current };
        if (expected.kind === 'no-stream' && softDeleted) return { kind: 'ok', current, softDeleted };
        return { kind: 'wrong', current };
      }
      if (revision === expectedRevision) return { kind: 'wrong', current };
      return { kind: 'idempotent', last: this.eventAt(stream, revision)! };
    }
    if (expectedRevision > current) return { kind: 'wrong', current };
    return { kind: 'ok', current, softDeleted };
  }

  private lastEventNumber(stream: string): bigint {
    if (this.tombstones.has(stream)) return DELETED_STREAM;
    return BigInt((this.streams.get(stream)?.length ?? 0) - 1);
  }

  private eventAt(stream: string, revision: bigint): StoredEvent | undefined {
    return this.streams.get(stream)?.[Number(revision)];
  }

  private lastMetadata(stream: string): Uint8Array {
    return this.streams.get(`$$${stream}`)?.at(-1)?.data ?? Buffer.from('{}');
  }

  /** `$tb` of the stream's last metadata; the server's JSON keeps it a long, so it is read as text, not as a double. */
  private truncateBefore(stream: string): bigint {
    const match = /"\$tb"\s*:\s*(\d+)/.exec(Buffer.from(this.lastMetadata(stream)).toString('utf8'));
    return match === null ? 0n : BigInt(match[1]!);
  }

  private isSoftDeleted(stream: string): boolean {
    return this.truncateBefore(stream) === DELETED_STREAM;
  }

  /** StorageWriterService.SoftUndeleteRawMeta: the metadata as it was, with `$tb` set to where the stream starts again. */
  private writeTruncateBefore(stream: string, from: bigint, metadata: Uint8Array): void {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(Buffer.from(metadata).toString('utf8')) as Record<string, unknown>;
    } catch {
      return;
    }
    delete json.$tb;
    const rest = JSON.stringify(json).slice(1, -1);
    this.write(`$$${stream}`, metadataEvent(`{${rest}${rest === '' ? '' : ','}"$tb":${from}}`));
  }

  private write(stream: string, event: ProposedEvent, revision?: bigint): StoredEvent {
    const events = this.streams.get(stream) ?? [];
    const offset = this.nextOffset;
    this.nextOffset += PREPARE_OVERHEAD + BigInt(stream.length + event.type.length + event.data.length + event.customMetadata.length);
    const stored: StoredEvent = {
      ...event,
      stream,
      revision: revision ?? BigInt(events.length),
      position: { commit: offset, prepare: offset },
      created: BigInt(Date.now()) * 10_000n,
    };
    if (revision === undefined) {
      events.push(stored);
      this.streams.set(stream, events);
    }
    this.events.push(stored);
    this.recordStarts.add(offset);
    this.committed.put(stored.id, { stream, revision: stored.revision });
    return stored;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
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

function metadataEvent(json: string): ProposedEvent {
  return {
    id: randomUUID(),
    type: '$metadata',
    contentType: 'application/json',
    data: Buffer.from(json),
    customMetadata: new Uint8Array(),
  };
}
