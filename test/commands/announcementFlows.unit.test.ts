import { describe, expect, it } from 'vitest';
import { announcementDecider, type AnnouncementCommand } from '../../src/commands/announcement/decide.js';
import type { AnnouncementEvent, AnnouncementFields, FundingAnnounced } from '../../src/commands/announcement/events.js';
import { NotFoundError, RuleViolationError, ValidationError } from '../../src/domain/errors.js';
import { deciderSpec } from '../support/decider.js';

const spec = deciderSpec(announcementDecider);
const id = '0b9a2f4e-3c1d-4e5f-8a6b-7c8d9e0f1a2b';
const gbp = (minor: number) => ({ currency: 'GBP' as const, minor });

const fields: AnnouncementFields = {
  funder: 'GB',
  programme: 'oic-supply-chains',
  title: '£3 million to prosecute smugglers',
  announcedOn: '2025-03-31',
  amount: gbp(300_000_000),
  tags: [],
};
const announced = (f: Partial<AnnouncementFields> = {}): FundingAnnounced => ({
  type: 'FundingAnnounced',
  data: { announcementId: id, ...fields, ...f },
});
const split = {
  allocations: [
    { country: 'RS', amount: gbp(200_000_000) },
    { country: 'XK', amount: gbp(100_000_000) },
  ],
};
const withdrawn: AnnouncementEvent = { type: 'FundingWithdrawn', data: { announcementId: id, reason: 'in error' } };

const commitment = (value: string, extra: object = {}): AnnouncementCommand => ({
  type: 'CommitFunding',
  data: { announcementId: id, value, on: '2025-05-01', ...extra },
});
const disbursement = (value: string, extra: object = {}): AnnouncementCommand => ({
  type: 'DisburseFunding',
  data: { announcementId: id, value, on: '2025-06-01', ...extra },
});
const committed = (minor: number, extra: object = {}): AnnouncementEvent => ({
  type: 'FundingCommitted',
  data: { announcementId: id, amount: gbp(minor), on: '2025-05-01', ...extra },
});
const disbursed = (minor: number, country: string, extra: object = {}): AnnouncementEvent => ({
  type: 'FundingDisbursed',
  data: { announcementId: id, amount: gbp(minor), on: '2025-06-01', country, ...extra },
});
const amend = (changes: object): AnnouncementCommand => ({
  type: 'AmendFunding',
  data: { announcementId: id, changes, reason: 'corrected' },
  context: { programmeRegistered: true },
});

describe('committing funding', () => {
  it('records a commitment in the announcement currency, with its source', () => {
    const source = { url: 'https://www.gov.uk/contracts/1' };
    spec([announced()])
      .when(commitment('1000000.00', { source }))
      .then([committed(100_000_000, { source })]);
  });

  it('takes commitments up to the announced amount, and a negative correction with a reason', () => {
    spec([announced(), committed(200_000_000)])
      .when(commitment('1000000'))
      .then([committed(100_000_000)]);
    spec([announced(), committed(200_000_000)])
      .when(commitment('-500000.50', { reason: 'contract re-let' }))
      .then([committed(-50_000_050, { reason: 'contract re-let' })]);
  });

  it('refuses a commitment beyond the announced amount, or a correction below zero', () => {
    spec([announced(), committed(200_000_000)])
      .when(commitment('1000000.01'))
      .thenRefusesFields(['value']);
    spec([announced(), committed(100)])
      .when(commitment('-1.01', { reason: 'x' }))
      .thenRefusesFields(['value']);
  });

  it('refuses zero, and a negative value without a reason', () => {
    spec([announced()]).when(commitment('0.00')).thenRefusesFields(['value']);
    spec([announced(), committed(100)])
      .when(commitment('-0.50'))
      .thenRefusesFields(['reason']);
  });

  it('answers a malformed value with 400 naming it', () => {
    spec([announced()]).when(commitment('1.001')).thenThrows(ValidationError);
    spec([announced()]).when(commitment('ten')).thenRefusesFields(['value']);
  });

  it('refuses after withdrawal, and for an announcement that does not exist', () => {
    spec([announced(), withdrawn])
      .when(commitment('1.00'))
      .thenThrows(RuleViolationError, /withdrawn/);
    spec([]).when(commitment('1.00')).thenThrows(NotFoundError);
  });

  it('folds commitments into the state: the list and the sum', () => {
    spec([announced(), committed(200_000_000)])
      .when(commitment('-1.00', { reason: 'typo' }))
      .thenState((state) => {
        expect(state.status === 'active' && state.flows.committed).toBe(199_999_900);
        expect(state.status === 'active' && state.flows.commitments.map((c) => c.amount.minor)).toEqual([200_000_000, -100]);
      });
  });
});

describe('disbursing funding', () => {
  it("defaults the country to the announcement's one country, or unallocated", () => {
    spec([announced({ country: 'GB' })])
      .when(disbursement('10.00'))
      .then([disbursed(1000, 'GB')]);
    spec([announced()])
      .when(disbursement('10.00'))
      .then([disbursed(1000, 'unallocated')]);
    spec([announced({ allocations: [{ country: 'RS', amount: gbp(300_000_000) }] })])
      .when(disbursement('10.00'))
      .then([disbursed(1000, 'RS')]);
  });

  it('needs the country when the announcement has several allocations, and one of them', () => {
    spec([announced(split)])
      .when(disbursement('10.00'))
      .thenRefusesFields(['country']);
    spec([announced(split)])
      .when(disbursement('10.00', { country: 'FR' }))
      .thenRefusesFields(['country']);
    spec([announced(split)])
      .when(disbursement('10.00', { country: 'XK' }))
      .then([disbursed(1000, 'XK')]);
    spec([announced({ country: 'GB' })])
      .when(disbursement('10.00', { country: 'FR' }))
      .thenRefusesFields(['country']);
  });

  it('refuses an amendment whose destination leaves out a country money was paid to, and takes one that keeps it', () => {
    const amended = (changes: object): AnnouncementEvent => ({
      type: 'FundingAmended',
      data: { announcementId: id, changes, reason: 'corrected' },
    });
    spec([announced(), disbursed(1000, 'RS')])
      .when(amend({ country: 'GB' }))
      .thenRefusesFields(['changes.country']);
    spec([announced(split), disbursed(1000, 'XK')])
      .when(amend({ allocations: [{ country: 'RS', value: '3000000.00' }] }))
      .thenRefusesFields(['changes.allocations']);
    spec([announced(), disbursed(1000, 'RS')])
      .when(amend({ country: 'RS' }))
      .then([amended({ country: 'RS' })]);
    // Corrected down to nothing, the payment to RS no longer holds the destination back.
    spec([announced(), disbursed(1000, 'RS'), disbursed(-1000, 'RS', { reason: 'paid in error' })])
      .when(amend({ country: 'GB' }))
      .then([amended({ country: 'GB' })]);
  });

  it('takes any country for money announced without one: the disbursement says where it went', () => {
    spec([announced()])
      .when(disbursement('10.00', { country: 'RS' }))
      .then([disbursed(1000, 'RS')]);
  });

  it('keeps the disbursed sum within 0..amount, apart from commitments', () => {
    spec([announced(), committed(300_000_000), disbursed(300_000_000, 'unallocated')])
      .when(disbursement('0.01'))
      .thenRefusesFields(['value']);
    spec([announced(), disbursed(100, 'unallocated')])
      .when(disbursement('-2.00', { reason: 'x' }))
      .thenRefusesFields(['value']);
    spec([announced(), committed(300_000_000)])
      .when(disbursement('3000000.00'))
      .then([disbursed(300_000_000, 'unallocated')]);
  });

  it('refuses zero, a negative value without a reason, and after withdrawal', () => {
    spec([announced()]).when(disbursement('0')).thenRefusesFields(['value']);
    spec([announced(), disbursed(100, 'unallocated')])
      .when(disbursement('-1.00'))
      .thenRefusesFields(['reason']);
    spec([announced(), withdrawn])
      .when(disbursement('1.00'))
      .thenThrows(RuleViolationError, /withdrawn/);
  });

  it('folds disbursements into the state', () => {
    spec([announced(split), disbursed(500, 'RS')])
      .when(disbursement('1.00', { country: 'XK', reason: 'first tranche' }))
      .thenState((state) => {
        expect(state.status === 'active' && state.flows.disbursed).toBe(600);
        expect(state.status === 'active' && state.flows.disbursements).toEqual([
          { amount: gbp(500), on: '2025-06-01', country: 'RS' },
          { amount: gbp(100), on: '2025-06-01', country: 'XK', reason: 'first tranche' },
        ]);
      });
  });
});

describe('amending an announcement with commitments or disbursements', () => {
  it('refuses an amount below the committed or disbursed sum', () => {
    spec([announced(), committed(200_000_000)])
      .when(amend({ amount: gbp(199_999_999) }))
      .thenRefusesFields(['changes.amount.value']);
    spec([announced(), disbursed(200_000_000, 'unallocated')])
      .when(amend({ amount: gbp(199_999_999) }))
      .thenRefusesFields(['changes.amount.value']);
    spec([announced(), committed(200_000_000)])
      .when(amend({ amount: gbp(200_000_000) }))
      .then([{ type: 'FundingAmended', data: { announcementId: id, changes: { amount: gbp(200_000_000) }, reason: 'corrected' } }]);
  });

  it('refuses a change of currency once there are any', () => {
    spec([announced(), committed(1)])
      .when(amend({ amount: { currency: 'EUR', minor: 300_000_000 } }))
      .thenRefusesFields(['changes.amount.currency']);
  });

  it('still allows withdrawal, and keeps the flows in the withdrawn state', () => {
    spec([announced(), committed(100)])
      .when({ type: 'WithdrawFunding', data: { announcementId: id, reason: 'cancelled' } })
      .thenState((state) => expect(state.status === 'withdrawn' && state.flows.committed).toBe(100));
  });
});
