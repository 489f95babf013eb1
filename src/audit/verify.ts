// Checks hash chains event by event, in global order: the same checker serves the live store and an export file.
import type { Position, RecordedEvent } from '../store/port.js';
import { comparePositions, formatPosition } from '../store/position.js';
import { eventHash, GENESIS_HASH } from './chain.js';

/** What the checker reads of an event: everything but its id. */
export type CheckedEvent = Omit<RecordedEvent, 'id'>;

export interface BrokenLink {
  readonly stream: string;
  readonly revision: string;
  readonly position: string;
  readonly type: string;
  readonly problem: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly events: number;
  readonly streams: number;
  readonly lastPosition: string | undefined;
  /** The first break found, in global order; later events are still counted. */
  readonly firstBreak: BrokenLink | undefined;
  readonly breaks: number;
  /** Hash of the last event of every stream. */
  readonly chainHeads: ReadonlyMap<string, string>;
}

export class ChainVerifier {
  private readonly heads = new Map<string, { revision: bigint; hash: string }>();
  private events = 0;
  private breaks = 0;
  private firstBreak: BrokenLink | undefined;
  private last: Position | undefined;

  check(event: CheckedEvent): BrokenLink | undefined {
    this.events += 1;
    const problem = this.problemWith(event);
    const head = this.heads.get(event.stream);
    const recorded = typeof event.metadata.hash === 'string' ? event.metadata.hash : '';
    // Continue the chain from what the event claims, so one altered event is reported once, not for every successor.
    this.heads.set(event.stream, { revision: event.revision, hash: recorded || head?.hash || GENESIS_HASH });
    if (this.last === undefined || comparePositions(event.position, this.last) > 0) this.last = event.position;
    if (problem === undefined) return undefined;
    const broken = {
      stream: event.stream,
      revision: event.revision.toString(),
      position: formatPosition(event.position),
      type: event.type,
      problem,
    };
    this.breaks += 1;
    this.firstBreak ??= broken;
    return broken;
  }

  private problemWith(event: CheckedEvent): string | undefined {
    if (this.last !== undefined && comparePositions(event.position, this.last) <= 0) {
      return `position ${formatPosition(event.position)} does not follow ${formatPosition(this.last)}`;
    }
    const head = this.heads.get(event.stream);
    const expectedRevision = head === undefined ? 0n : head.revision + 1n;
    if (event.revision !== expectedRevision) return `revision ${event.revision} where ${expectedRevision} was expected`;
    const expectedPrev = head?.hash ?? GENESIS_HASH;
    if (event.metadata.prevHash !== expectedPrev) return 'prevHash does not match the hash of the previous event in the stream';
    if (event.metadata.hash !== eventHash(event))
      return 'hash does not match the event content (data, metadata, type, stream or revision altered)';
    return undefined;
  }

  report(): VerifyReport {
    return {
      ok: this.breaks === 0,
      events: this.events,
      streams: this.heads.size,
      lastPosition: this.last === undefined ? undefined : formatPosition(this.last),
      firstBreak: this.firstBreak,
      breaks: this.breaks,
      chainHeads: new Map([...this.heads].map(([stream, head]) => [stream, head.hash])),
    };
  }
}

/**
 * Walks one stream on its own (not through the journal) and checks its chain again; its last hash must be the head
 * the journal walk found. Catches a store whose per-stream index disagrees with its global log.
 */
export async function verifyStreamWalk(
  stream: string,
  events: AsyncIterable<CheckedEvent>,
  journalHead: string,
): Promise<BrokenLink | undefined> {
  const verifier = new ChainVerifier();
  let last: CheckedEvent | undefined;
  for await (const event of events) {
    // Positions across one stream only increase, so the same checker applies unchanged.
    const broken = verifier.check(event);
    if (broken !== undefined) return broken;
    last = event;
  }
  const head = typeof last?.metadata.hash === 'string' ? last.metadata.hash : undefined;
  if (head === journalHead) return undefined;
  return {
    stream,
    revision: last === undefined ? '-' : last.revision.toString(),
    position: last === undefined ? '-' : formatPosition(last.position),
    type: last?.type ?? '-',
    problem: 'reading the stream on its own ends at a different event than the journal does',
  };
}
