// Announcement state: folded from its events; amendments replace fields, a withdrawal ends changes.
import { assertNever } from '../decider.js';
import type { AnnouncementChanges, AnnouncementEvent, AnnouncementFields } from './events.js';

export interface Announcement extends AnnouncementFields {
  readonly id: string;
}

export type AnnouncementState =
  | { readonly status: 'none' }
  | { readonly status: 'active'; readonly announcement: Announcement }
  | { readonly status: 'withdrawn'; readonly announcement: Announcement; readonly withdrawalReason: string };

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
      return { status: 'active', announcement: { id: announcementId, ...withoutUndefined(fields) } };
    }
    case 'FundingAmended':
      if (state.status !== 'active') return state;
      return {
        status: 'active',
        announcement: { ...applyChanges(state.announcement, event.data.changes), id: state.announcement.id },
      };
    case 'FundingWithdrawn':
      if (state.status !== 'active') return state;
      return { status: 'withdrawn', announcement: state.announcement, withdrawalReason: event.data.reason };
    case 'FundingCommitted':
    case 'FundingDisbursed':
      // Not yet part of the announcement's state (issue 20 in progress).
      return state;
    default:
      return assertNever(event);
  }
}
