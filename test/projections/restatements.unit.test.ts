import { describe, expect, it } from 'vitest';
import type { AnnouncementFields } from '../../src/commands/announcement/events.js';
import { announcementsProjection, indexedAnnouncement } from '../../src/projections/models/announcements.js';
import { restatedFacts, restatedFrom, restatementsProjection, restatersOf } from '../../src/projections/models/restatements.js';
import { digestOf } from '../../src/projections/storage/digest.js';
import { EventLog, replay } from './events.js';

const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => `${x.repeat(8)}-1111-4111-8111-111111111111`) as [string, string, string, string];
const gbp = (minor: number) => ({ currency: 'GBP' as const, minor });
const fields = (minor: number, restates?: { announcementId: string; amount: ReturnType<typeof gbp> }[]): AnnouncementFields => ({
  funder: 'GB',
  programme: 'p',
  title: 't',
  announcedOn: '2025-01-01',
  amount: gbp(minor),
  tags: [],
  ...(restates && { restates }),
});

/** a (£10) is restated £4 by b and £3 by c; c is restated £1 by d. */
function aChain(): EventLog {
  const log = new EventLog();
  log.announced(a, fields(1000));
  log.announced(b, fields(500, [{ announcementId: a, amount: gbp(400) }]));
  log.announced(c, fields(500, [{ announcementId: a, amount: gbp(300) }]));
  log.announced(d, fields(100, [{ announcementId: c, amount: gbp(100) }]));
  return log;
}

describe('the restatements read model', () => {
  it('knows who restates whom and how much', () => {
    const state = replay(restatementsProjection, aChain().events);
    expect(restatedFrom(state, a)).toBe(700);
    expect(restatedFrom(state, a, b)).toBe(300);
    expect(restatersOf(state, a)).toEqual([
      { announcementId: b, minor: 400 },
      { announcementId: c, minor: 300 },
    ]);
    expect(restatersOf(state, b)).toEqual([]);
  });

  it('gives the rules the facts of the earlier announcements, with cycles found through chains', () => {
    const log = aChain();
    const facts = restatedFacts(replay(restatementsProjection, log.events), replay(announcementsProjection, log.events), a, [c, d, b]);
    expect(facts.get(c)).toEqual({ status: 'active', amount: gbp(500), restatedByOthers: 100, leadsBack: true });
    expect(facts.get(d)).toEqual({ status: 'active', amount: gbp(100), restatedByOthers: 0, leadsBack: true });
    const unknown = restatedFacts(replay(restatementsProjection, log.events), replay(announcementsProjection, log.events), b, [a, 'x']);
    expect(unknown.get(a)).toEqual({ status: 'active', amount: gbp(1000), restatedByOthers: 300, leadsBack: false });
    expect(unknown.has('x')).toBe(false);
  });

  it('follows amendments of the parts, and frees what a withdrawn announcement restated', () => {
    const log = aChain();
    log.amended(b, { restates: [{ announcementId: a, amount: gbp(100) }] });
    log.amended(c, { restates: null });
    expect(restatedFrom(replay(restatementsProjection, log.events), a)).toBe(100);
    log.withdrawn(b);
    const state = replay(restatementsProjection, log.events);
    expect(restatedFrom(state, a)).toBe(0);
    expect(state.restatedBy.has(a)).toBe(false);
  });

  it('restores from its snapshot to the same state and digest', () => {
    const state = replay(restatementsProjection, aChain().events);
    const restored = restatementsProjection.snapshot.restore(structuredClone(restatementsProjection.snapshot.store(state)));
    expect(restored).toEqual(state);
    expect(digestOf(new Map([['restatements', restored]]))).toBe(digestOf(new Map([['restatements', state]])));
  });
});

describe('the announcements index with issue 20', () => {
  it('keeps amounts and currencies, and neither commitments nor disbursements change its status', () => {
    const log = aChain();
    log.amended(a, { amount: { currency: 'EUR', minor: 2000 } });
    log.record({ type: 'FundingCommitted', data: { announcementId: b, amount: gbp(10), on: '2025-02-01' } });
    log.record({ type: 'FundingDisbursed', data: { announcementId: b, amount: gbp(10), on: '2025-02-01', country: 'unallocated' } });
    const state = replay(announcementsProjection, log.events);
    expect(indexedAnnouncement(state, a)).toEqual({ status: 'active', amount: { currency: 'EUR', minor: 2000 } });
    expect(indexedAnnouncement(state, b)).toEqual({ status: 'active', amount: gbp(500) });
    expect(state.revisions.get(state.ids.slotOf(b) as number)).toBe(2);
    const restored = announcementsProjection.snapshot.restore(announcementsProjection.snapshot.store(state));
    expect(digestOf(new Map([['announcements', restored]]))).toBe(digestOf(new Map([['announcements', state]])));
  });
});
