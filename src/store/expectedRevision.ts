// Optimistic-concurrency rules for append, with EventStoreDB's semantics, shared by every adapter that checks them itself.
import { WrongExpectedRevisionError, type ExpectedRevision } from './port.js';

/** Revision of a stream's last event, or 'no-stream' when it has none. */
export type StreamRevision = bigint | 'no-stream';

/** Whether an append expecting `expected` may go ahead on a stream whose last revision is `actual`. */
export function isExpectedRevisionMet(expected: ExpectedRevision, actual: StreamRevision): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no-stream':
      return actual === 'no-stream';
    case 'stream-exists':
      return actual !== 'no-stream';
    default:
      return actual === expected;
  }
}

/** Throws WrongExpectedRevisionError, naming the actual revision, when the append may not go ahead. */
export function assertExpectedRevision(stream: string, expected: ExpectedRevision, actual: StreamRevision): void {
  if (!isExpectedRevisionMet(expected, actual)) throw new WrongExpectedRevisionError(stream, expected, actual);
}
