// Fixtures for the audit tests: hash-chained recorded events built in memory, as handleCommand would chain them.
import { randomUUID } from 'node:crypto';
import { eventHash, GENESIS_HASH } from '../../src/audit/chain.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { positionOf } from '../../src/store/position.js';

/** Appends events with the next global position and their stream's next revision, each chained to its predecessor. */
export class ChainedLog {
  readonly events: RecordedEvent[] = [];
  private appended = 0;
  private readonly heads = new Map<string, { revision: bigint; hash: string }>();

  append(stream: string, type = 'Noted', data: Record<string, unknown> = { n: this.appended + 1 }): RecordedEvent {
    this.appended += 1;
    const head = this.heads.get(stream);
    const revision = head === undefined ? 0n : head.revision + 1n;
    const metadata: Record<string, unknown> = {
      actor: 'admin',
      recordedAt: '2025-04-02T09:00:00.000Z',
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    const hash = eventHash({ stream, revision, type, data, metadata });
    const event: RecordedEvent = {
      id: randomUUID(),
      stream,
      revision,
      position: positionOf(BigInt(this.appended)),
      type,
      data,
      metadata: { ...metadata, hash },
    };
    this.heads.set(stream, { revision, hash });
    this.events.push(event);
    return event;
  }
}

/** A copy of an event with some fields replaced, as someone editing the store would leave it. */
export function altered(event: RecordedEvent, changes: Partial<RecordedEvent>): RecordedEvent {
  return { ...event, ...changes };
}

export async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield item;
}
