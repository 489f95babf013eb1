import { describe, expect, it } from 'vitest';
import { announcementDecider, type AnnouncementCommand } from '../../src/commands/announcement/decide.js';
import type { AnnouncementFields, FundingAnnounced } from '../../src/commands/announcement/events.js';
import type { RestatedAnnouncement } from '../../src/commands/announcement/restatements.js';
import { ValidationError } from '../../src/domain/errors.js';
import { deciderSpec } from '../support/decider.js';

const spec = deciderSpec(announcementDecider);
const id = '0b9a2f4e-3c1d-4e5f-8a6b-7c8d9e0f1a2b';
const first = '11111111-1111-4111-8111-111111111111';
const second = '22222222-2222-4222-8222-222222222222';
const gbp = (minor: number) => ({ currency: 'GBP' as const, minor });

const fields: AnnouncementFields = {
  funder: 'GB',
  programme: 'oic-supply-chains',
  title: '£30 million, £10 million of it first announced in January',
  announcedOn: '2025-03-31',
  amount: gbp(3_000_000_000),
  tags: [],
};

/** An earlier announcement of £20m, nothing of it restated by others, unless overridden. */
const earlier = (overrides: Partial<RestatedAnnouncement> = {}): RestatedAnnouncement => ({
  status: 'active',
  amount: gbp(2_000_000_000),
  restatedByOthers: 0,
  leadsBack: false,
  ...overrides,
});

const announce = (f: AnnouncementFields, restated: ReadonlyMap<string, RestatedAnnouncement> = new Map()): AnnouncementCommand => ({
  type: 'AnnounceFunding',
  data: { announcementId: id, fields: f },
  context: { programmeRegistered: true, restated },
});
const part = (announcementId: string, minor: number) => ({ announcementId, amount: gbp(minor) });
const withParts = (...restates: ReturnType<typeof part>[]): AnnouncementFields => ({ ...fields, restates });

const amend = (
  changes: object,
  context: { restated?: Map<string, RestatedAnnouncement>; restatedFromThis?: number } = {},
): AnnouncementCommand => ({
  type: 'AmendFunding',
  data: { announcementId: id, changes, reason: 'restated' },
  context: { programmeRegistered: true, ...context },
});
const announced = (f: AnnouncementFields = fields): FundingAnnounced => ({ type: 'FundingAnnounced', data: { announcementId: id, ...f } });

describe('announcing with restated parts', () => {
  it('records the parts it restates', () => {
    const f = withParts(part(first, 1_000_000_000), part(second, 500_000_000));
    spec([])
      .when(
        announce(
          f,
          new Map([
            [first, earlier()],
            [second, earlier()],
          ]),
        ),
      )
      .then([announced(f)]);
  });

  it('takes a part up to what of the earlier one others have not restated', () => {
    const f = withParts(part(first, 1_500_000_000));
    spec([])
      .when(announce(f, new Map([[first, earlier({ restatedByOthers: 500_000_000 })]])))
      .then([announced(f)]);
  });

  it('refuses a part beyond what of the earlier one others have not restated', () => {
    spec([])
      .when(announce(withParts(part(first, 1_500_000_001)), new Map([[first, earlier({ restatedByOthers: 500_000_000 })]])))
      .thenRefusesFields(['restates[0].value']);
  });

  it('refuses a part in another currency than the earlier announcement', () => {
    spec([])
      .when(announce(withParts(part(first, 100)), new Map([[first, earlier({ amount: { currency: 'EUR', minor: 2_000_000_000 } })]])))
      .thenRefusesFields(['restates[0].value']);
  });

  it('refuses parts summing to more than this amount', () => {
    const big = earlier({ amount: gbp(5_000_000_000) });
    spec([])
      .when(
        announce(
          withParts(part(first, 2_000_000_000), part(second, 1_000_000_001)),
          new Map([
            [first, big],
            [second, big],
          ]),
        ),
      )
      .thenRefusesFields(['restates']);
  });

  it('refuses a part that names the announcement itself', () => {
    spec([])
      .when(announce(withParts(part(id, 100)), new Map()))
      .thenRefusesFields(['restates[0].announcement']);
  });

  it('refuses an earlier announcement that does not exist, or was withdrawn', () => {
    spec([])
      .when(announce(withParts(part(first, 100)), new Map()))
      .thenRefusesFields(['restates[0].announcement']);
    spec([])
      .when(
        announce(
          withParts(part(second, 100), part(first, 100)),
          new Map([
            [first, earlier({ status: 'withdrawn' })],
            [second, earlier()],
          ]),
        ),
      )
      .thenRefusesFields(['restates[1].announcement']);
  });

  it('refuses the same earlier announcement twice', () => {
    spec([])
      .when(announce(withParts(part(first, 100), part(first, 200)), new Map([[first, earlier()]])))
      .thenRefusesFields(['restates[1].announcement']);
  });

  it('refuses a part whose earlier announcement leads back to this one (a cycle)', () => {
    spec([])
      .when(announce(withParts(part(first, 100)), new Map([[first, earlier({ leadsBack: true })]])))
      .thenRefusesFields(['restates[0].announcement']);
  });
});

describe('amending the restated parts', () => {
  const f = withParts(part(first, 1_000_000_000));

  it('changes the parts', () => {
    spec([announced(f)])
      .when(amend({ restates: [{ announcement: second, value: '5.00' }] }, { restated: new Map([[second, earlier()]]) }))
      .then([{ type: 'FundingAmended', data: { announcementId: id, changes: { restates: [part(second, 500)] }, reason: 'restated' } }]);
  });

  it('removes them with null or an empty list', () => {
    const removed = { type: 'FundingAmended', data: { announcementId: id, changes: { restates: null }, reason: 'restated' } };
    spec([announced(f)])
      .when(amend({ restates: null }))
      .then([removed as never]);
    spec([announced(f)])
      .when(amend({ restates: [] }))
      .then([removed as never]);
    spec([announced(f)])
      .when(amend({ restates: null }))
      .thenState((state) => expect(state.status !== 'none' && state.announcement.restates).toBeUndefined());
  });

  it('refuses to remove parts it does not have', () => {
    spec([announced()])
      .when(amend({ restates: null }))
      .thenRefusesFields(['changes']);
  });

  it('names the amendment fields when an earlier announcement refuses the part', () => {
    spec([announced(f)])
      .when(
        amend(
          {
            restates: [
              { announcement: first, value: '1.00' },
              { announcement: second, value: '1.00' },
            ],
          },
          { restated: new Map([[first, earlier()]]) },
        ),
      )
      .thenRefusesFields(['changes.restates[1].announcement']);
  });

  it('refuses a cycle made by an amendment', () => {
    spec([announced()])
      .when(amend({ restates: [{ announcement: first, value: '1.00' }] }, { restated: new Map([[first, earlier({ leadsBack: true })]]) }))
      .thenRefusesFields(['changes.restates[0].announcement']);
  });

  it('answers a malformed restated value with 400 naming it', () => {
    spec([announced()])
      .when(amend({ restates: [{ announcement: first, value: '1.001' }] }))
      .thenThrows(ValidationError);
    spec([announced()])
      .when(amend({ restates: [{ announcement: first, value: '0' }] }))
      .thenRefusesFields(['changes.restates[0].value']);
  });

  it('refuses lowering the later amount below its restated parts, or changing its currency under them', () => {
    spec([announced(f)])
      .when(amend({ amount: gbp(999_999_999) }))
      .thenRefusesFields(['changes.restates']);
    spec([announced(f)])
      .when(amend({ amount: { currency: 'EUR', minor: 3_000_000_000 } }))
      .thenRefusesFields(['changes.restates[0].value']);
  });
});

describe('amending an announcement others restate', () => {
  it('may lower its amount down to what others restate', () => {
    spec([announced()])
      .when(amend({ amount: gbp(1_000_000_000) }, { restatedFromThis: 1_000_000_000 }))
      .then([{ type: 'FundingAmended', data: { announcementId: id, changes: { amount: gbp(1_000_000_000) }, reason: 'restated' } }]);
  });

  it('refuses lowering its amount below what others restate', () => {
    spec([announced()])
      .when(amend({ amount: gbp(999_999_999) }, { restatedFromThis: 1_000_000_000 }))
      .thenRefusesFields(['changes.amount.value']);
  });

  it('refuses changing its currency while restated', () => {
    spec([announced()])
      .when(amend({ amount: { currency: 'EUR', minor: 3_000_000_000 } }, { restatedFromThis: 1 }))
      .thenRefusesFields(['changes.amount.currency']);
  });
});
