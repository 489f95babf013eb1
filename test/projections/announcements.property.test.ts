// The announcements index against the announcements folded in full: same fields, same pages under every filter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANNOUNCEMENT_EVENT_TYPES, type AnnouncementEvent } from '../../src/commands/announcement/events.js';
import { evolveAnnouncement, initialAnnouncementState, type AnnouncementState } from '../../src/commands/announcement/state.js';
import { toDomainEvent } from '../../src/commands/decider.js';
import {
  announcementsProjection,
  countriesOfPlace,
  pageOfAnnouncements,
  type AnnouncementFilter,
  type AnnouncementsState,
} from '../../src/projections/models/announcements.js';
import { replay, type EventLog } from './events.js';
import { histories, World } from './histories.js';

/** Every announcement folded in full with the domain's own evolve, in the order first recorded. */
function foldedInFull(log: EventLog): Map<string, { state: Exclude<AnnouncementState, { status: 'none' }>; revision: bigint }> {
  const folded = new Map<string, { state: Exclude<AnnouncementState, { status: 'none' }>; revision: bigint }>();
  for (const event of log.events) {
    if (!event.stream.startsWith('announcement-')) continue;
    const domainEvent = toDomainEvent<AnnouncementEvent>({ eventTypes: ANNOUNCEMENT_EVENT_TYPES }, event);
    const id = domainEvent.data.announcementId;
    const next = evolveAnnouncement(folded.get(id)?.state ?? initialAnnouncementState(), domainEvent);
    if (next.status !== 'none') folded.set(id, { state: next, revision: event.revision });
  }
  return folded;
}

function countriesOf(state: Exclude<AnnouncementState, { status: 'none' }>): readonly string[] {
  const { country, allocations } = state.announcement;
  return country !== undefined ? [country] : allocations !== undefined ? allocations.map((a) => a.country) : ['unallocated'];
}

function naivePage(folded: ReturnType<typeof foldedInFull>, filter: AnnouncementFilter): string[] {
  return [...folded]
    .filter(([, { state }]) => {
      const a = state.announcement;
      return (
        (filter.programme === undefined || a.programme === filter.programme) &&
        (filter.funder === undefined || a.funder === filter.funder) &&
        (filter.status === undefined || state.status === filter.status) &&
        (filter.announcedFrom === undefined || a.announcedOn >= filter.announcedFrom) &&
        (filter.announcedTo === undefined || a.announcedOn <= filter.announcedTo) &&
        (filter.country === undefined || countriesOf(state).includes(filter.country))
      );
    })
    .map(([id]) => id);
}

function allPages(state: AnnouncementsState, filter: AnnouncementFilter, limit: number): string[] {
  const ids: string[] = [];
  let from: number | undefined = 0;
  while (from !== undefined) {
    const page = pageOfAnnouncements(state, filter, from, limit);
    ids.push(...page.items.map((item) => item.id));
    from = page.next;
  }
  return ids;
}

const filters: fc.Arbitrary<AnnouncementFilter> = fc.record(
  {
    programme: fc.constantFrom('oic-supply-chains', 'cps-smuggling-prosecutions', 'border-security', 'never-seen'),
    funder: fc.constantFrom('GB', 'EU', 'XX'),
    country: fc.constantFrom('GB', 'FR', 'DE', 'RS', 'XK', 'unallocated', 'US'),
    status: fc.constantFrom('active' as const, 'withdrawn' as const),
    announcedFrom: fc.constantFrom('2015-01-01', '2025-03-31', '2025-04-01'),
    announcedTo: fc.constantFrom('2024-12-31', '2025-03-31', '2026-12-31'),
  },
  { requiredKeys: [] },
);

describe('the announcements index (property)', () => {
  it('holds what the full fold holds, and pages through exactly the announcements a filter matches', () => {
    fc.assert(
      fc.property(
        histories(60),
        fc.array(filters, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 4 }),
        (history, someFilters, limit) => {
          const world = new World();
          for (const action of history) if (action.kind !== 'check') world.run(action);
          const index = replay(announcementsProjection, world.log.events);
          const folded = foldedInFull(world.log);

          expect([...index.ids.ids()]).toEqual([...folded.keys()]);
          for (const [id, { state, revision }] of folded) {
            const slot = index.ids.slotOf(id) as number;
            const a = state.announcement;
            expect({
              revision: BigInt(index.revisions.get(slot)),
              status: index.statuses.get(slot) === 1 ? 'active' : 'withdrawn',
              programme: index.dictionaries.programmes.valueOf(index.programmes.get(slot)),
              funder: index.dictionaries.funders.valueOf(index.funders.get(slot)),
              countries: countriesOfPlace(index.dictionaries.places.valueOf(index.places.get(slot))),
            }).toEqual({ revision, status: state.status, programme: a.programme, funder: a.funder, countries: countriesOf(state) });
          }
          for (const filter of someFilters) expect(allPages(index, filter, limit)).toEqual(naivePage(folded, filter));
        },
      ),
      { numRuns: 150 },
    );
  });
});
