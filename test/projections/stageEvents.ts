// Issue 20's events for projection tests: restating announcements, commitments and disbursements, in the committed shapes.
import type { AnnouncementFields, Restatement } from '../../src/commands/announcement/events.js';
import type { Money } from '../../src/domain/money.js';
import type { RecordedEvent } from '../../src/store/port.js';
import type { EventLog } from './events.js';

export const gbp = (minor: number): Money => ({ currency: 'GBP', minor });

export function restating(announcementId: string, minor: number): Restatement {
  return { announcementId, amount: gbp(minor) };
}

export function committed(log: EventLog, announcementId: string, minor: number, on: string): RecordedEvent {
  const reason = minor < 0 ? { reason: 'corrected' } : {};
  return log.record({ type: 'FundingCommitted', data: { announcementId, amount: gbp(minor), on, ...reason } });
}

export function disbursed(log: EventLog, announcementId: string, minor: number, on: string, country: string): RecordedEvent {
  const reason = minor < 0 ? { reason: 'corrected' } : {};
  return log.record({ type: 'FundingDisbursed', data: { announcementId, amount: gbp(minor), on, country, ...reason } });
}

/** An announcement in GBP: `allocations` as [country, minor] pairs, or one country for the whole amount. */
export function anAnnouncementOf(
  minor: number,
  options: {
    readonly announcedOn?: string;
    readonly programme?: string;
    readonly allocations?: readonly (readonly [string, number])[];
    readonly country?: string;
    readonly restates?: readonly Restatement[];
  } = {},
): AnnouncementFields {
  return {
    funder: 'GB',
    programme: options.programme ?? 'oic-supply-chains',
    title: 'An announcement',
    announcedOn: options.announcedOn ?? '2025-03-31',
    amount: gbp(minor),
    ...(options.allocations !== undefined && {
      allocations: options.allocations.map(([country, share]) => ({ country, amount: gbp(share) })),
    }),
    ...(options.country !== undefined && { country: options.country }),
    ...(options.restates !== undefined && { restates: options.restates }),
    tags: [],
  };
}
