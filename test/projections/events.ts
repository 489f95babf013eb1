// Recorded events for projection tests: real domain events, given per-stream revisions and increasing global positions.
import { randomUUID } from 'node:crypto';
import {
  announcementStream,
  type AnnouncementChanges,
  type AnnouncementEvent,
  type AnnouncementFields,
} from '../../src/commands/announcement/events.js';
import { exchangeRateStream, type ExchangeRateEvent } from '../../src/commands/exchangeRate/events.js';
import { programmeStream, type ProgrammeEvent } from '../../src/commands/programme/events.js';
import type { CurrencyCode } from '../../src/domain/money.js';
import type { Projection } from '../../src/projections/runtime/projection.js';
import type { EventToAppend, RecordedEvent } from '../../src/store/port.js';
import { positionOf } from '../../src/store/position.js';

export type LedgerEvent = AnnouncementEvent | ExchangeRateEvent | ProgrammeEvent;

/** The stream a domain event belongs to, by the same naming functions the command handlers use. */
export function streamOf(event: LedgerEvent): string {
  switch (event.type) {
    case 'FundingAnnounced':
    case 'FundingAmended':
    case 'FundingWithdrawn':
    case 'FundingCommitted':
    case 'FundingDisbursed':
      return announcementStream(event.data.announcementId);
    case 'ExchangeRateRecorded':
      return exchangeRateStream(event.data.base, event.data.quote);
    case 'ProgrammeRegistered':
    case 'ProgrammeRenamed':
      return programmeStream(event.data.code);
  }
}

/** The envelope the store is given for a domain event (metadata is irrelevant to projections). */
export function toAppend(event: { type: string; data: object }): EventToAppend {
  return { id: randomUUID(), type: event.type, data: event.data as Record<string, unknown>, metadata: {} };
}

/** An in-memory log: each recorded event gets the next global position and its stream's next revision. */
export class EventLog {
  readonly events: RecordedEvent[] = [];
  private readonly revisions = new Map<string, bigint>();

  record(event: LedgerEvent): RecordedEvent {
    const stream = streamOf(event);
    const revision = (this.revisions.get(stream) ?? -1n) + 1n;
    this.revisions.set(stream, revision);
    const recorded: RecordedEvent = {
      ...toAppend(event),
      stream,
      revision,
      position: positionOf(BigInt(this.events.length + 1)),
    };
    this.events.push(recorded);
    return recorded;
  }

  announced(announcementId: string, fields: AnnouncementFields): RecordedEvent {
    return this.record({ type: 'FundingAnnounced', data: { announcementId, ...fields } });
  }

  amended(announcementId: string, changes: AnnouncementChanges): RecordedEvent {
    return this.record({ type: 'FundingAmended', data: { announcementId, changes, reason: 'corrected' } });
  }

  withdrawn(announcementId: string): RecordedEvent {
    return this.record({ type: 'FundingWithdrawn', data: { announcementId, reason: 'announced in error' } });
  }

  rate(base: CurrencyCode, quote: CurrencyCode, rate: string, effectiveOn: string): RecordedEvent {
    return this.record({ type: 'ExchangeRateRecorded', data: { base, quote, rate, effectiveOn, source: 'test' } });
  }
}

/** Folds events into a fresh state, as the runner would (only the events the projection handles). */
export function replay<State>(projection: Projection<State>, events: readonly RecordedEvent[], state = projection.initialState()): State {
  return events.filter((event) => projection.canHandle(event)).reduce((current, event) => projection.evolve(current, event), state);
}
