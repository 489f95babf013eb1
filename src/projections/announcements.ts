// Read model: the current state of every announcement, in the order they were first recorded.
import { toDomainEvent } from '../commands/handle.js';
import {
  ANNOUNCEMENT_EVENT_TYPES,
  ANNOUNCEMENT_STREAM_PREFIX,
  type AnnouncementEvent,
} from '../commands/announcement/events.js';
import { evolveAnnouncement, initialAnnouncementState, type AnnouncementState } from '../commands/announcement/state.js';
import type { Projection } from './projection.js';

export interface AnnouncementView {
  readonly state: Exclude<AnnouncementState, { status: 'none' }>;
  readonly revision: bigint;
}

export interface AnnouncementsState {
  readonly byId: Map<string, AnnouncementView>;
  /** Ids in the order announced: the stable order that list cursors point into. */
  readonly order: string[];
}

export const announcementsProjection: Projection<AnnouncementsState> = {
  name: 'announcements',
  canHandle: (event) => event.stream.startsWith(ANNOUNCEMENT_STREAM_PREFIX),
  initialState: () => ({ byId: new Map(), order: [] }),
  evolve(state, event) {
    const domainEvent = toDomainEvent<AnnouncementEvent>({ eventTypes: ANNOUNCEMENT_EVENT_TYPES }, event);
    const id = domainEvent.data.announcementId;
    const before = state.byId.get(id);
    const next = evolveAnnouncement(before?.state ?? initialAnnouncementState(), domainEvent);
    if (next.status === 'none') return state;
    if (!before) state.order.push(id);
    state.byId.set(id, { state: next, revision: event.revision });
    return state;
  },
};

export interface AnnouncementFilter {
  readonly programme?: string | undefined;
  readonly country?: string | undefined;
  readonly funder?: string | undefined;
  readonly status?: 'active' | 'withdrawn' | undefined;
  readonly announcedFrom?: string | undefined;
  readonly announcedTo?: string | undefined;
}

export function countriesOf(view: AnnouncementView): string[] {
  const { country, allocations } = view.state.announcement;
  if (country !== undefined) return [country];
  if (allocations !== undefined) return allocations.map((a) => a.country);
  return ['unallocated'];
}

function matches(view: AnnouncementView, filter: AnnouncementFilter): boolean {
  const a = view.state.announcement;
  return (
    (filter.programme === undefined || a.programme === filter.programme) &&
    (filter.funder === undefined || a.funder === filter.funder) &&
    (filter.status === undefined || view.state.status === filter.status) &&
    (filter.announcedFrom === undefined || a.announcedOn >= filter.announcedFrom) &&
    (filter.announcedTo === undefined || a.announcedOn <= filter.announcedTo) &&
    (filter.country === undefined || countriesOf(view).includes(filter.country))
  );
}

/** One page of announcements matching the filter, starting at index `from` of the announcement order. */
export function pageOfAnnouncements(
  state: AnnouncementsState,
  filter: AnnouncementFilter,
  from: number,
  limit: number,
): { items: AnnouncementView[]; next: number | undefined } {
  const items: AnnouncementView[] = [];
  for (let index = from; index < state.order.length; index += 1) {
    const view = state.byId.get(state.order[index] as string);
    if (view === undefined || !matches(view, filter)) continue;
    if (items.length === limit) return { items, next: index };
    items.push(view);
  }
  return { items, next: undefined };
}
