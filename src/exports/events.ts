// The events export: the journal flattened, one row per event in position order, read from the store as it streams.
import type { EventStore, Position, RecordedEvent } from '../store/port.js';
import { comparePositions, formatPosition, positionText } from '../store/position.js';
import { EVENT_COLUMNS, type EventColumn } from '../schemas/csv.js';
import type { CsvExport } from './csv.js';

/** Metadata values are strings (ids, instants, hashes); anything else is written as JSON rather than "[object Object]". */
const text = (value: unknown): string =>
  value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

export function eventRow(event: RecordedEvent): string[] {
  const { metadata } = event;
  const row: Record<EventColumn, string> = {
    position: formatPosition(event.position),
    recordedAt: text(metadata.recordedAt),
    stream: event.stream,
    revision: event.revision.toString(),
    type: event.type,
    actor: text(metadata.actor),
    correlationId: text(metadata.correlationId),
    causationId: text(metadata.causationId),
    idempotencyKey: text(metadata.idempotencyKey),
    eventId: event.id,
    data: JSON.stringify(event.data),
    hash: text(metadata.hash),
    prevHash: text(metadata.prevHash),
  };
  return EVENT_COLUMNS.map((column) => row[column]);
}

/**
 * Every event up to `upTo` (the store's head when the export began, so the file ends where its name says). The store
 * reads $all a page at a time; nothing here holds more than the event being written.
 */
export function eventsExport(store: EventStore, upTo: Position | undefined): CsvExport {
  return {
    kind: 'events',
    position: positionText(upTo),
    columns: EVENT_COLUMNS,
    rows: (async function* () {
      if (upTo === undefined) return;
      for await (const event of store.readAll()) {
        if (comparePositions(event.position, upTo) > 0) return;
        yield eventRow(event);
      }
    })(),
  };
}
