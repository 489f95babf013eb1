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

type ActiveOrWithdrawn = Exclude<AnnouncementState, { status: 'none' }>;

/**
 * One announcement as the read model keeps it: the fields lists filter on, and the rest as one JSON string, decoded
 * when asked for. A million announcements as object graphs would cost gigabytes; as strings, a fraction of that.
 */
export class StoredAnnouncement implements AnnouncementView {
  readonly status: ActiveOrWithdrawn['status'];
  readonly programme: string;
  readonly funder: string;
  readonly announcedOn: string;
  readonly countries: readonly string[];

  constructor(
    /** JSON of the state; kept as made (the digest hashes it as it is). */
    readonly json: string,
    readonly revision: bigint,
    state: ActiveOrWithdrawn = JSON.parse(json) as ActiveOrWithdrawn,
  ) {
    const a = state.announcement;
    this.status = state.status;
    this.programme = a.programme;
    this.funder = a.funder;
    this.announcedOn = a.announcedOn;
    this.countries = a.country !== undefined ? [a.country] : a.allocations !== undefined ? a.allocations.map((x) => x.country) : ['unallocated'];
  }

  static of(state: ActiveOrWithdrawn, revision: bigint): StoredAnnouncement {
    return new StoredAnnouncement(JSON.stringify(state), revision, state);
  }

  get state(): ActiveOrWithdrawn {
    return JSON.parse(this.json) as ActiveOrWithdrawn;
  }
}

export interface AnnouncementsState {
  readonly byId: Map<string, StoredAnnouncement>;
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
    state.byId.set(id, StoredAnnouncement.of(next, event.revision));
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

export function countriesOf(view: AnnouncementView): readonly string[] {
  if (view instanceof StoredAnnouncement) return view.countries;
  const { country, allocations } = view.state.announcement;
  if (country !== undefined) return [country];
  if (allocations !== undefined) return allocations.map((a) => a.country);
  return ['unallocated'];
}

function matches(view: StoredAnnouncement, filter: AnnouncementFilter): boolean {
  return (
    (filter.programme === undefined || view.programme === filter.programme) &&
    (filter.funder === undefined || view.funder === filter.funder) &&
    (filter.status === undefined || view.status === filter.status) &&
    (filter.announcedFrom === undefined || view.announcedOn >= filter.announcedFrom) &&
    (filter.announcedTo === undefined || view.announcedOn <= filter.announcedTo) &&
    (filter.country === undefined || view.countries.includes(filter.country))
  );
}

/** One page of announcements matching the filter, starting at index `from` of the announcement order. */
export function pageOfAnnouncements(
  state: AnnouncementsState,
  filter: AnnouncementFilter,
  from: number,
  limit: number,
): { items: StoredAnnouncement[]; next: number | undefined } {
  const items: StoredAnnouncement[] = [];
  for (let index = from; index < state.order.length; index += 1) {
    const view = state.byId.get(state.order[index] as string);
    if (view === undefined || !matches(view, filter)) continue;
    if (items.length === limit) return { items, next: index };
    items.push(view);
  }
  return { items, next: undefined };
}
