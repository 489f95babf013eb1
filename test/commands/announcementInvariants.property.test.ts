// Random sequences of announcement commands, decided with the facts the read models give: no sequence leaves a
// commitment or disbursement sum outside 0..amount, nor more of an announcement restated than its amount.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideAnnouncement, type AnnouncementCommand } from '../../src/commands/announcement/decide.js';
import type { AnnouncementFields } from '../../src/commands/announcement/events.js';
import { evolveAnnouncement, initialAnnouncementState, type AnnouncementState } from '../../src/commands/announcement/state.js';
import { LedgerError } from '../../src/domain/errors.js';
import { formatAmount, type CurrencyCode } from '../../src/domain/money.js';
import { announcementsProjection } from '../../src/projections/models/announcements.js';
import { restatedFacts, restatedFrom, restatementsProjection } from '../../src/projections/models/restatements.js';
import { EventLog } from '../projections/events.js';

const IDS = [0, 1, 2, 3].map((n) => `${String(n).repeat(8)}-0000-4000-8000-000000000000`);
const COUNTRIES = ['RS', 'XK'];

const anId = fc.constantFrom(...IDS);
/** Small amounts, so sums meet their bounds often. */
const aValue = (signed: boolean) => fc.integer({ min: signed ? -600 : 1, max: 600 }).map((minor) => formatMinor(minor));
const aPart = fc.record({ announcement: anId, value: aValue(false) });

function formatMinor(minor: number): string {
  return formatAmount({ currency: 'GBP', minor });
}

type Step =
  | {
      kind: 'announce';
      id: string;
      minor: number;
      currency: CurrencyCode;
      split: boolean;
      restates: { announcement: string; value: string }[];
    }
  | { kind: 'amend'; id: string; minor?: number; currency?: CurrencyCode; restates?: { announcement: string; value: string }[] | null }
  | { kind: 'withdraw'; id: string }
  | { kind: 'commit' | 'disburse'; id: string; value: string; reason: boolean; country?: string };

const aCurrency = fc.constantFrom<CurrencyCode>('GBP', 'GBP', 'GBP', 'EUR');
const anAnnounce = (id: fc.Arbitrary<string>) =>
  fc.record({
    kind: fc.constant('announce' as const),
    id,
    minor: fc.integer({ min: 1, max: 1500 }),
    currency: aCurrency,
    split: fc.boolean(),
    restates: fc.array(aPart, { maxLength: 3 }),
  });

/** Most of the ids announced first (so later steps meet announcements), then any steps at all. */
const steps: fc.Arbitrary<Step[]> = fc
  .tuple(fc.tuple(...IDS.slice(1).map((id) => anAnnounce(fc.constant(id)))), fc.array(anyStep(), { minLength: 10, maxLength: 60 }))
  .map(([first, rest]) => [...first, ...rest]);

function anyStep(): fc.Arbitrary<Step> {
  return fc.oneof(
    { arbitrary: anAnnounce(anId), weight: 2 },
    {
      weight: 3,
      arbitrary: fc.record(
        {
          kind: fc.constant('amend' as const),
          id: anId,
          minor: fc.integer({ min: 1, max: 1500 }),
          currency: aCurrency,
          restates: fc.option(fc.array(aPart, { maxLength: 3 }), { nil: null }),
        },
        { requiredKeys: ['kind', 'id'] },
      ),
    },
    { arbitrary: fc.record({ kind: fc.constant('withdraw' as const), id: anId }), weight: 1 },
    {
      weight: 5,
      arbitrary: fc.record(
        {
          kind: fc.constantFrom('commit' as const, 'disburse' as const),
          id: anId,
          value: aValue(true),
          reason: fc.boolean(),
          country: fc.constantFrom(...COUNTRIES),
        },
        { requiredKeys: ['kind', 'id', 'value', 'reason'] },
      ),
    },
  );
}

/** Events recorded across every run, by type: the sequences must reach the interesting cases, not only refusals. */
const recordedTypes = new Map<string, number>();
let restatingEvents = 0;

class World {
  readonly states = new Map<string, AnnouncementState>();
  readonly log = new EventLog();
  readonly restatements = restatementsProjection.initialState();
  readonly index = announcementsProjection.initialState();

  stateOf(id: string): AnnouncementState {
    return this.states.get(id) ?? initialAnnouncementState();
  }

  /** The command with the facts the edge would gather from the read models. */
  commandOf(step: Step): AnnouncementCommand {
    const facts = (restates: readonly { announcement: string }[] | null | undefined, amountMayChange: boolean) => ({
      programmeRegistered: true,
      restated: restatedFacts(
        this.restatements,
        this.index,
        step.id,
        (restates ?? []).map((part) => part.announcement),
      ),
      ...(amountMayChange && { restatedFromThis: restatedFrom(this.restatements, step.id) }),
    });
    switch (step.kind) {
      case 'announce': {
        const amount = { currency: step.currency, minor: step.minor };
        const half = Math.floor(step.minor / 2);
        const fields: AnnouncementFields = {
          funder: 'GB',
          programme: 'p',
          title: 't',
          announcedOn: '2025-01-01',
          amount,
          tags: [],
          ...(step.split &&
            half > 0 && {
              allocations: [
                { country: 'RS', amount: { ...amount, minor: half } },
                { country: 'XK', amount: { ...amount, minor: step.minor - half } },
              ],
            }),
          ...(step.restates.length > 0 && {
            restates: step.restates.map((part) => ({
              announcementId: part.announcement,
              amount: { currency: step.currency, minor: Math.round(Number(part.value) * 100) },
            })),
          }),
        };
        return { type: 'AnnounceFunding', data: { announcementId: step.id, fields }, context: facts(step.restates, false) };
      }
      case 'amend': {
        const changes = {
          ...(step.minor !== undefined && { amount: { currency: step.currency ?? 'GBP', minor: step.minor } }),
          ...(step.restates !== undefined && { restates: step.restates }),
        };
        return {
          type: 'AmendFunding',
          data: { announcementId: step.id, changes, reason: 'random' },
          context: facts(step.restates, step.minor !== undefined),
        };
      }
      case 'withdraw':
        return { type: 'WithdrawFunding', data: { announcementId: step.id, reason: 'random' } };
      case 'commit':
      case 'disburse': {
        const data = {
          announcementId: step.id,
          value: step.value,
          on: '2025-02-01',
          ...(step.reason && { reason: 'a correction' }),
          ...(step.country !== undefined && step.kind === 'disburse' && { country: step.country }),
        };
        return step.kind === 'commit' ? { type: 'CommitFunding', data } : { type: 'DisburseFunding', data };
      }
    }
  }

  run(step: Step): void {
    let events;
    try {
      events = decideAnnouncement(this.stateOf(step.id), this.commandOf(step));
    } catch (error) {
      if (error instanceof LedgerError) return;
      throw error;
    }
    for (const event of events) {
      recordedTypes.set(event.type, (recordedTypes.get(event.type) ?? 0) + 1);
      if (event.type === 'FundingAnnounced' && event.data.restates !== undefined) restatingEvents += 1;
      if (event.type === 'FundingAmended' && event.data.changes.restates) restatingEvents += 1;
      this.states.set(step.id, evolveAnnouncement(this.stateOf(step.id), event));
      const recorded = this.log.record(event);
      // Every event, whether the runner would hand it over or not: neither fold may misread one it does not handle.
      restatementsProjection.evolve(this.restatements, recorded);
      announcementsProjection.evolve(this.index, recorded);
    }
  }

  expectInvariants(): void {
    const restated = new Map<string, number>();
    for (const state of this.states.values()) {
      if (state.status === 'none') continue;
      const { announcement, flows } = state;
      expect(flows.committed).toBeGreaterThanOrEqual(0);
      expect(flows.committed).toBeLessThanOrEqual(announcement.amount.minor);
      expect(flows.disbursed).toBeGreaterThanOrEqual(0);
      expect(flows.disbursed).toBeLessThanOrEqual(announcement.amount.minor);
      if (state.status !== 'active') continue;
      let parts = 0;
      for (const part of announcement.restates ?? []) {
        expect(part.announcementId).not.toBe(announcement.id);
        expect(part.amount.currency).toBe(announcement.amount.currency);
        restated.set(part.announcementId, (restated.get(part.announcementId) ?? 0) + part.amount.minor);
        parts += part.amount.minor;
      }
      expect(parts).toBeLessThanOrEqual(announcement.amount.minor);
    }
    for (const [earlierId, minor] of restated) {
      const earlier = this.stateOf(earlierId);
      expect(earlier.status).not.toBe('none');
      if (earlier.status !== 'none') expect(minor).toBeLessThanOrEqual(earlier.announcement.amount.minor);
    }
    this.expectNoCycle();
  }

  private expectNoCycle(): void {
    const edges = (id: string): string[] => {
      const state = this.stateOf(id);
      return state.status === 'active' ? (state.announcement.restates ?? []).map((part) => part.announcementId) : [];
    };
    const visiting = new Set<string>();
    const done = new Set<string>();
    const visit = (id: string): void => {
      if (done.has(id)) return;
      expect(visiting.has(id), `a cycle through ${id}`).toBe(false);
      visiting.add(id);
      for (const next of edges(id)) visit(next);
      visiting.delete(id);
      done.add(id);
    };
    for (const id of IDS) visit(id);
  }
}

describe('random sequences of announcement commands', () => {
  it('never leave a sum of commitments or disbursements outside 0..amount, nor an announcement restated beyond its amount', () => {
    fc.assert(
      fc.property(steps, (sequence) => {
        const world = new World();
        for (const step of sequence) {
          world.run(step);
          world.expectInvariants();
        }
      }),
      { numRuns: 200 },
    );
    for (const type of ['FundingAnnounced', 'FundingAmended', 'FundingWithdrawn', 'FundingCommitted', 'FundingDisbursed']) {
      expect(recordedTypes.get(type) ?? 0, type).toBeGreaterThan(20);
    }
    expect(restatingEvents).toBeGreaterThan(5);
  });
});
