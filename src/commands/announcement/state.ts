// Announcement state: folded from its events; amendments replace fields, a withdrawal ends changes, commitments and
// disbursements add up beside the fields.
import type { Money } from '../../domain/money.js';
import { assertNever } from '../decider.js';
import type { AnnouncementChanges, AnnouncementEvent, AnnouncementFields, Source } from './events.js';

export interface Announcement extends AnnouncementFields {
  readonly id: string;
}

/** One commitment or disbursement as recorded: a negative amount corrects earlier ones. */
export interface FlowEntry {
  readonly amount: Money;
  readonly on: string;
  readonly reason?: string;
  readonly source?: Source;
}

export interface Disbursement extends FlowEntry {
  readonly country: string;
}

/** Commitments and disbursements, in the order recorded, with their running sums in minor units of the amount's currency. */
export interface Flows {
  readonly commitments: readonly FlowEntry[];
  readonly disbursements: readonly Disbursement[];
  readonly committed: number;
  readonly disbursed: number;
}

/** Shared by every announcement with no commitment or disbursement (nearly all): folding one allocates nothing for them. */
export const NO_FLOWS: Flows = Object.freeze({ commitments: [], disbursements: [], committed: 0, disbursed: 0 });

export type AnnouncementState =
  | { readonly status: 'none' }
  | { readonly status: 'active'; readonly announcement: Announcement; readonly flows: Flows }
  | { readonly status: 'withdrawn'; readonly announcement: Announcement; readonly withdrawalReason: string; readonly flows: Flows };

export function initialAnnouncementState(): AnnouncementState {
  return { status: 'none' };
}

/** Applies changes to fields; null removes an optional field, and choosing a country or allocations drops the other. */
export function applyChanges(fields: AnnouncementFields, changes: AnnouncementChanges): AnnouncementFields {
  const { country, allocations, statedEquivalent, source, restates, ...required } = changes;
  const next: { -readonly [K in keyof AnnouncementFields]: AnnouncementFields[K] } = { ...fields, ...required };
  if (country !== undefined) {
    next.country = country ?? undefined;
    if (country !== null) next.allocations = undefined;
  }
  if (allocations !== undefined) {
    next.allocations = allocations ?? undefined;
    if (allocations !== null) next.country = undefined;
  }
  if (statedEquivalent !== undefined) next.statedEquivalent = statedEquivalent ?? undefined;
  if (source !== undefined) next.source = source ?? undefined;
  if (restates !== undefined) next.restates = restates === null || restates.length === 0 ? undefined : restates;
  return withoutUndefined(next);
}

function withoutUndefined<T extends object>(value: T): T {
  // A loop rather than entries/filter/fromEntries: this runs for every amendment of a replay.
  const defined: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) defined[key] = field;
  }
  return defined as T;
}

export function evolveAnnouncement(state: AnnouncementState, event: AnnouncementEvent): AnnouncementState {
  switch (event.type) {
    case 'FundingAnnounced': {
      const { announcementId, ...fields } = event.data;
      return { status: 'active', announcement: { id: announcementId, ...withoutUndefined(fields) }, flows: NO_FLOWS };
    }
    case 'FundingAmended':
      if (state.status !== 'active') return state;
      return {
        status: 'active',
        announcement: { ...applyChanges(state.announcement, event.data.changes), id: state.announcement.id },
        flows: state.flows,
      };
    case 'FundingWithdrawn':
      if (state.status !== 'active') return state;
      return { status: 'withdrawn', announcement: state.announcement, withdrawalReason: event.data.reason, flows: state.flows };
    case 'FundingCommitted': {
      if (state.status !== 'active') return state;
      const { announcementId: _id, ...entry } = event.data;
      const { flows } = state;
      const commitments = [...flows.commitments, withoutUndefined(entry)];
      return { ...state, flows: { ...flows, commitments, committed: flows.committed + entry.amount.minor } };
    }
    case 'FundingDisbursed': {
      if (state.status !== 'active') return state;
      const { announcementId: _id, ...entry } = event.data;
      const { flows } = state;
      const disbursements = [...flows.disbursements, withoutUndefined(entry)];
      return { ...state, flows: { ...flows, disbursements, disbursed: flows.disbursed + entry.amount.minor } };
    }
    default:
      return assertNever(event);
  }
}
