// A synthetic ledger (src/synthetic/history.ts) appended to an embedded store: thousands of real events for tests.
import { eventsToAppend } from '../../src/commands/envelope.js';
import type { EmbeddedEventStore, StreamAppend } from '../../src/store/embedded.js';
import { syntheticHistory } from '../../src/synthetic/history.js';

/** Appends the history of `announcements` synthetic announcements (seed 7) in one transaction. */
export async function appendSyntheticLedger(store: EmbeddedEventStore, announcements: number): Promise<void> {
  const batch: StreamAppend[] = [];
  for (const append of syntheticHistory({ announcements, seed: 7 })) {
    const metadata = { actor: 'generator', correlationId: 'c', causationId: 'c', now: append.recordedAt };
    batch.push({ stream: append.stream, events: eventsToAppend(append.stream, undefined, append.events, metadata), expected: 'no-stream' });
  }
  await store.appendMany(batch);
}
