import { describe, expect, it } from 'vitest';
import { announcementDecider, type AnnouncementCommand } from '../../src/commands/announcement/decide.js';
import type { AnnouncementEvent, AnnouncementFields, FundingAnnounced } from '../../src/commands/announcement/events.js';
import { ConflictError, NotFoundError, RuleViolationError, ValidationError } from '../../src/domain/errors.js';
import { deciderSpec } from '../support/decider.js';

const spec = deciderSpec(announcementDecider);
const id = '0b9a2f4e-3c1d-4e5f-8a6b-7c8d9e0f1a2b';
const gbp = (minor: number) => ({ currency: 'GBP' as const, minor });

const thirtyMillion: AnnouncementFields = {
  funder: 'GB',
  programme: 'oic-supply-chains',
  title: '£30 million to tackle supply chains, illicit finances and trafficking routes',
  announcedOn: '2025-03-31',
  amount: gbp(3_000_000_000),
  statedEquivalent: { currency: 'EUR', minor: 3_600_000_000 },
  tags: ['organised-immigration-crime'],
};

const announced: FundingAnnounced = { type: 'FundingAnnounced', data: { announcementId: id, ...thirtyMillion } };
const withdrawn: AnnouncementEvent = { type: 'FundingWithdrawn', data: { announcementId: id, reason: 'announced in error' } };

const announce = (fields: AnnouncementFields, programmeRegistered = true): AnnouncementCommand => ({
  type: 'AnnounceFunding',
  data: { announcementId: id, fields },
  context: { programmeRegistered },
});
const amend = (changes: object, programmeRegistered = true): AnnouncementCommand => ({
  type: 'AmendFunding',
  data: { announcementId: id, changes, reason: 'corrected figure' },
  context: { programmeRegistered },
});

describe('announcing funding', () => {
  it('records the announcement as announced', () => {
    spec([]).when(announce(thirtyMillion)).then([announced]);
  });

  it('takes allocations that sum exactly to the amount', () => {
    const fields = {
      ...thirtyMillion,
      allocations: [
        { country: 'RS', amount: gbp(1_000_000_000) },
        { country: 'XK', amount: gbp(2_000_000_000) },
      ],
    };
    spec([])
      .when(announce(fields))
      .then([{ type: 'FundingAnnounced', data: { announcementId: id, ...fields } }]);
  });

  it('refuses allocations one penny short', () => {
    const fields = {
      ...thirtyMillion,
      allocations: [
        { country: 'RS', amount: gbp(1_000_000_000) },
        { country: 'XK', amount: gbp(1_999_999_999) },
      ],
    };
    spec([])
      .when(announce(fields))
      .thenThrows(RuleViolationError, /breaks the ledger rules/);
    spec([]).when(announce(fields)).thenRefusesFields(['allocations']);
  });

  it('refuses an unregistered programme, both country and allocations, and a stated equivalent in the same currency', () => {
    spec([]).when(announce(thirtyMillion, false)).thenThrows(RuleViolationError);
    spec([])
      .when(announce({ ...thirtyMillion, country: 'GB', allocations: [{ country: 'GB', amount: gbp(3_000_000_000) }] }))
      .thenThrows(RuleViolationError);
    spec([])
      .when(announce({ ...thirtyMillion, statedEquivalent: gbp(1) }))
      .thenThrows(RuleViolationError);
  });

  it('refuses the same country twice among allocations', () => {
    const fields = {
      ...thirtyMillion,
      allocations: [
        { country: 'RS', amount: gbp(1_500_000_000) },
        { country: 'RS', amount: gbp(1_500_000_000) },
      ],
    };
    spec([]).when(announce(fields)).thenRefusesFields(['allocations[1].country']);
  });

  it('announces an id once', () => {
    spec([announced]).when(announce(thirtyMillion)).thenThrows(ConflictError);
  });
});

describe('amending funding', () => {
  it('records only the fields that change, with the reason', () => {
    spec([announced])
      .when(amend({ title: thirtyMillion.title, amount: gbp(3_100_000_000) }))
      .then([
        { type: 'FundingAmended', data: { announcementId: id, changes: { amount: gbp(3_100_000_000) }, reason: 'corrected figure' } },
      ]);
  });

  it('moves the money from unallocated to one country, then to allocations', () => {
    spec([announced])
      .when(amend({ country: 'GB' }))
      .thenState((state) => expect(state.status === 'active' && state.announcement.country).toBe('GB'));
    const toCountry: AnnouncementEvent = { type: 'FundingAmended', data: { announcementId: id, changes: { country: 'GB' }, reason: 'r' } };
    spec([announced, toCountry])
      .when(amend({ allocations: [{ country: 'RS', value: '30000000.00' }] }))
      .thenState((state) => {
        expect(state.status === 'active' && state.announcement.country).toBeUndefined();
        expect(state.status === 'active' && state.announcement.allocations).toEqual([{ country: 'RS', amount: gbp(3_000_000_000) }]);
      });
  });

  it('parses allocation values in the currency of the amount: the new one when it changes, else the announcement’s', () => {
    spec([announced])
      .when(amend({ allocations: [{ country: 'RS', value: '30000000' }] }))
      .then([
        {
          type: 'FundingAmended',
          data: {
            announcementId: id,
            changes: { allocations: [{ country: 'RS', amount: gbp(3_000_000_000) }] },
            reason: 'corrected figure',
          },
        },
      ]);
    const inEuros = { currency: 'EUR' as const, minor: 3_500_000_000 };
    spec([announced])
      .when(amend({ amount: inEuros, statedEquivalent: null, allocations: [{ country: 'RS', value: '35000000.00' }] }))
      .thenState((state) => {
        expect(state.status === 'active' && state.announcement.allocations).toEqual([{ country: 'RS', amount: inEuros }]);
      });
  });

  it('refuses an allocation value the currency cannot hold as a malformed request, naming the allocation', () => {
    spec([announced])
      .when(amend({ allocations: [{ country: 'RS', value: '30000000.001' }] }))
      .thenThrows(ValidationError, /the request body is invalid/);
    spec([announced])
      .when(
        amend({
          allocations: [
            { country: 'RS', value: '1000000.00' },
            { country: 'XK', value: '0.00' },
          ],
        }),
      )
      .thenRefusesFields(['changes.allocations[1].value']);
    // Before whether it may change: a withdrawn announcement's answer to a malformed request is still a 400.
    spec([announced, withdrawn])
      .when(amend({ allocations: [{ country: 'RS', value: '30000000.001' }] }))
      .thenThrows(ValidationError);
  });

  it('refuses a new amount that the existing allocations no longer sum to', () => {
    const split: AnnouncementEvent = {
      type: 'FundingAmended',
      data: { announcementId: id, changes: { allocations: [{ country: 'RS', amount: gbp(3_000_000_000) }] }, reason: 'r' },
    };
    spec([announced, split])
      .when(amend({ amount: gbp(3_100_000_000) }))
      .thenRefusesFields(['changes.allocations']);
  });

  it('refuses an amendment that changes nothing', () => {
    spec([announced])
      .when(amend({ title: thirtyMillion.title }))
      .thenThrows(RuleViolationError, /changes nothing/);
  });

  it('refuses a move to an unregistered programme', () => {
    spec([announced])
      .when(amend({ programme: 'unknown' }, false))
      .thenRefusesFields(['changes.programme']);
  });

  it('refuses to amend what does not exist or was withdrawn', () => {
    spec([])
      .when(amend({ title: 'x' }))
      .thenThrows(NotFoundError);
    spec([announced, withdrawn])
      .when(amend({ title: 'x' }))
      .thenThrows(RuleViolationError, /withdrawn/);
  });
});

describe('withdrawing funding', () => {
  const withdraw: AnnouncementCommand = { type: 'WithdrawFunding', data: { announcementId: id, reason: 'announced in error' } };

  it('records the withdrawal and keeps the announcement for the record', () => {
    spec([announced]).when(withdraw).then([withdrawn]);
    spec([announced])
      .when(withdraw)
      .thenState((state) => {
        expect(state.status).toBe('withdrawn');
        expect(state.status === 'withdrawn' && state.announcement.title).toBe(thirtyMillion.title);
      });
  });

  it('withdraws once, and only what exists', () => {
    spec([announced, withdrawn]).when(withdraw).thenThrows(RuleViolationError);
    spec([]).when(withdraw).thenThrows(NotFoundError);
  });
});
