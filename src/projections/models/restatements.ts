// Read model: which announcements restate which (re-announcements, issue 20), and how much of each earlier one is
// restated: the cross-stream facts the restatement rules need, and `restatedBy` on the announcement's answer.
import type { Restatement } from '../../commands/announcement/events.js';
import { ANNOUNCEMENT_STREAM_PREFIX } from '../../commands/announcement/events.js';
import type { RestatedAnnouncement, RestatedFacts } from '../../commands/announcement/restatements.js';
import { upcastData } from '../../commands/upcasters.js';
import type { Projection } from '../runtime/projection.js';
import { indexedAnnouncement, type AnnouncementsState } from './announcements.js';
import { entriesByKey } from './mapState.js';

/**
 * Only announcements that restate something (few) have an entry: the rest cost nothing. A withdrawn announcement
 * restates nothing any more, so what it restated is free to be restated again.
 */
export interface RestatementsState {
  /** By later announcement: the parts it restates. */
  readonly restates: Map<string, readonly Restatement[]>;
  /** By earlier announcement: minor units restated from it, by the later announcement restating them. */
  readonly restatedBy: Map<string, Map<string, number>>;
}

function initialRestatementsState(): RestatementsState {
  return { restates: new Map(), restatedBy: new Map() };
}

function forget(state: RestatementsState, laterId: string): void {
  for (const part of state.restates.get(laterId) ?? []) {
    const by = state.restatedBy.get(part.announcementId);
    by?.delete(laterId);
    if (by?.size === 0) state.restatedBy.delete(part.announcementId);
  }
  state.restates.delete(laterId);
}

function record(state: RestatementsState, laterId: string, parts: readonly Restatement[]): void {
  forget(state, laterId);
  if (parts.length === 0) return;
  state.restates.set(laterId, parts);
  for (const part of parts) {
    let by = state.restatedBy.get(part.announcementId);
    if (by === undefined) state.restatedBy.set(part.announcementId, (by = new Map<string, number>()));
    by.set(laterId, part.amount.minor);
  }
}

const HANDLED = new Set(['FundingAnnounced', 'FundingAmended', 'FundingWithdrawn']);

/** The snapshot keeps `restates` only: `restatedBy` follows from it (and the digest describes only `restates` too). */
function restoredFrom(stored: { restates: Map<string, readonly Restatement[]> }): RestatementsState {
  const state = initialRestatementsState();
  for (const [laterId, parts] of stored.restates) record(state, laterId, parts);
  return state;
}

export const restatementsProjection: Projection<RestatementsState, { restates: Map<string, readonly Restatement[]> }> = {
  name: 'restatements',
  canHandle: (event) => HANDLED.has(event.type) && event.stream.startsWith(ANNOUNCEMENT_STREAM_PREFIX),
  initialState: initialRestatementsState,
  snapshot: { store: (state) => ({ restates: state.restates }), restore: restoredFrom },
  describe: (state) => entriesByKey(state.restates),
  evolve(state, event) {
    // Read straight from the upcast data, not through a domain event: nearly every event here restates nothing.
    const data = upcastData(event) as { announcementId: string; restates?: readonly Restatement[]; changes?: { restates?: unknown } };
    if (event.type === 'FundingAnnounced') {
      if (data.restates !== undefined) record(state, data.announcementId, data.restates);
    } else if (event.type === 'FundingAmended') {
      const parts = data.changes?.restates as readonly Restatement[] | null | undefined;
      if (parts !== undefined) record(state, data.announcementId, parts ?? []);
    } else if (state.restates.has(data.announcementId)) {
      forget(state, data.announcementId);
    }
    return state;
  },
};

/** Minor units of the announcement that other announcements restate. */
export function restatedFrom(state: RestatementsState, id: string, except?: string): number {
  let sum = 0;
  for (const [laterId, minor] of state.restatedBy.get(id) ?? []) if (laterId !== except) sum += minor;
  return sum;
}

/** Whether following restatements from `from` reaches `target`. */
function leadsTo(state: RestatementsState, from: string, target: string): boolean {
  const seen = new Set<string>();
  const pending = [from];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const part of state.restates.get(id) ?? []) pending.push(part.announcementId);
  }
  return false;
}

/**
 * The facts the restatement rules need about the announcements `selfId` names, from the two read models. They follow
 * the store: across replicas (or right after another replica's write) they are eventually consistent, as the
 * programme check is.
 */
export function restatedFacts(
  restatements: RestatementsState,
  announcements: AnnouncementsState,
  selfId: string,
  earlierIds: Iterable<string>,
): RestatedFacts {
  const facts = new Map<string, RestatedAnnouncement>();
  for (const earlierId of earlierIds) {
    const indexed = indexedAnnouncement(announcements, earlierId);
    if (indexed === undefined) continue;
    facts.set(earlierId, {
      ...indexed,
      restatedByOthers: restatedFrom(restatements, earlierId, selfId),
      leadsBack: leadsTo(restatements, earlierId, selfId),
    });
  }
  return facts;
}

/** Who restates the announcement and how much, in the order of their ids. */
export function restatersOf(state: RestatementsState, id: string): { announcementId: string; minor: number }[] {
  return [...(state.restatedBy.get(id) ?? [])]
    .map(([announcementId, minor]) => ({ announcementId, minor }))
    .sort((a, b) => (a.announcementId < b.announcementId ? -1 : 1));
}
