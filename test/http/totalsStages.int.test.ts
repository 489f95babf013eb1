// /totals and the totals CSV with issue 20's stages: basis=new, stage as a filter and a dimension, the rates cited,
// and asOf. The write side of restatements, commitments and disbursements is not here yet: their events go to the
// store directly, in the shapes committed in commands/announcement/events.ts.
import { describe, expect, it } from 'vitest';
import { announcementStream, type AnnouncementEvent } from '../../src/commands/announcement/events.js';
import { formatPosition } from '../../src/store/position.js';
import { toAppend } from '../projections/events.js';
import { recordsOf } from '../exports/support.js';
import { clientOf, expectStatus, type LedgerUnderTest } from '../support/ledger.js';
import { aLedgerWithTheRealAnnouncements, anExchangeRate, eur, gbp } from '../support/scenarios.js';

const LATER = '22222222-2222-4222-8222-222222222222';
const M = 100_000_000;
const pence = (minor: number) => ({ currency: 'GBP' as const, minor });

async function append(ledger: LedgerUnderTest, event: AnnouncementEvent): Promise<string> {
  const { position } = await ledger.ledger.context.store.append(announcementStream(event.data.announcementId), [toAppend(event)], 'any');
  return formatPosition(position);
}

/** The £30m and £3m, then a later £12m (£4m GB, £8m FR) of which £9m restates the £30m; £5m committed against the £30m. */
async function aLedgerWithStages() {
  const { ledger, thirty, three } = await aLedgerWithTheRealAnnouncements();
  const rate = expectStatus(
    await clientOf(ledger).post('/exchange-rates', anExchangeRate({ rate: '1.1876', effectiveOn: '2025-03-31' })),
    201,
  );
  const restated = await append(ledger, {
    type: 'FundingAnnounced',
    data: {
      announcementId: LATER,
      funder: 'GB',
      programme: 'oic-supply-chains',
      title: 'The £30m again, with £3m more',
      announcedOn: '2025-06-01',
      amount: pence(12 * M),
      allocations: [
        { country: 'GB', amount: pence(4 * M) },
        { country: 'FR', amount: pence(8 * M) },
      ],
      restates: [{ announcementId: thirty.id, amount: pence(9 * M) }],
      tags: [],
    },
  });
  const commitment = await append(ledger, {
    type: 'FundingCommitted',
    data: { announcementId: thirty.id, amount: pence(5 * M), on: '2025-07-01' },
  });
  await append(ledger, {
    type: 'FundingDisbursed',
    data: { announcementId: three.id, amount: pence(2 * M), on: '2025-08-01', country: 'GB' },
  });
  const { base, quote, effectiveOn, source, position } = rate.json as Record<string, string>;
  return { ledger, thirty, three, restated, commitment, rate: { base, quote, rate: '1.1876', effectiveOn, source, position } };
}

async function totals(ledger: LedgerUnderTest, query: string) {
  const head = await ledger.storeHead();
  return clientOf(ledger).get(`/totals${query}${query.includes('?') ? '&' : '?'}minPosition=${head}`);
}

describe('GET /totals with stages', () => {
  it('answers the face value as before, and basis=new without the £9m restating the £30m', async () => {
    const { ledger } = await aLedgerWithStages();

    const announced = await totals(ledger, '');
    const fresh = await totals(ledger, '?basis=new&groupBy=country');

    expect(announced.json.total).toEqual({ count: 3, amounts: [gbp('45000000.00')] });
    // £9m over the later one's £4m GB and £8m FR: £3m and £6m.
    expect(fresh.json.rows).toEqual([
      { country: 'FR', count: 1, amounts: [gbp('2000000.00')] },
      { country: 'GB', count: 2, amounts: [gbp('4000000.00')] },
      { country: 'unallocated', count: 1, amounts: [gbp('30000000.00')] },
    ]);
    expect(fresh.json.total.amounts).toEqual([gbp('36000000.00')]);
  });

  it('groups by programme and stage, and filters by stage', async () => {
    const { ledger } = await aLedgerWithStages();

    const byStage = await totals(ledger, '?groupBy=programme,stage');
    const committed = await totals(ledger, '?stage=committed,disbursed&groupBy=stage');

    expect(byStage.status).toBe(200);
    expect(byStage.json.groupBy).toEqual(['programme', 'stage']);
    expect(byStage.json.rows.map((row: Record<string, unknown>) => [row.programme, row.stage, row.amounts])).toEqual([
      ['cps-smuggling-prosecutions', 'announced', [gbp('3000000.00')]],
      ['cps-smuggling-prosecutions', 'disbursed', [gbp('2000000.00')]],
      ['oic-supply-chains', 'announced', [gbp('42000000.00')]],
      ['oic-supply-chains', 'committed', [gbp('5000000.00')]],
    ]);
    expect(committed.json.total.amounts).toEqual([gbp('7000000.00')]);
  });

  it('cites the rates used on each converted row and the total, and none on a row without conversion', async () => {
    const { ledger, rate } = await aLedgerWithStages();

    const reply = await totals(ledger, '?groupBy=stage&currency=EUR');
    const plain = await totals(ledger, '?groupBy=stage');

    // £5m committed on 2025-07-01 at the rate of 2025-03-31: €5,938,000.00.
    expect(reply.json.rows.find((row: Record<string, unknown>) => row.stage === 'committed')).toEqual({
      stage: 'committed',
      count: 1,
      amounts: [gbp('5000000.00')],
      converted: eur('5938000.00'),
      unconverted: [],
      rates: [rate],
    });
    expect(reply.json.total.rates).toEqual([rate]);
    expect(plain.json.rows.every((row: Record<string, unknown>) => !('rates' in row))).toBe(true);
  });

  it('answers as of a position before the restatement and the commitment', async () => {
    const { ledger, restated, commitment } = await aLedgerWithStages();
    const before = BigInt(restated) - 1n;

    const past = await totals(ledger, `?basis=new&groupBy=stage&asOf=${before}`);
    const between = await totals(ledger, `?basis=new&groupBy=stage&asOf=${restated}`);
    const after = await totals(ledger, `?groupBy=stage&asOf=${commitment}`);

    expect(past.json.rows).toEqual([{ stage: 'announced', count: 2, amounts: [gbp('33000000.00')] }]);
    expect(between.json.rows).toEqual([{ stage: 'announced', count: 3, amounts: [gbp('36000000.00')] }]);
    expect(after.json.rows.map((row: Record<string, unknown>) => row.stage)).toEqual(['announced', 'committed']);
  });
});

describe('GET /exports/totals.csv with stages', () => {
  it('adds a rates column when asked, and takes basis and stage as /totals does', async () => {
    const { ledger, rate } = await aLedgerWithStages();
    const head = await ledger.storeHead();

    const csv = await ledger.send('GET', `/exports/totals.csv?groupBy=stage&currency=EUR&rates=true&basis=new&minPosition=${head}`, {
      key: ledger.adminKey,
    });

    expect(csv.status).toBe(200);
    expect(recordsOf(csv.bytes.toString('utf8'))).toEqual([
      ['stage', 'currency', 'amount', 'count', 'convertedCurrency', 'convertedAmount', 'unconvertedIds', 'rates'],
      ['announced', 'GBP', '36000000.00', '3', 'EUR', '42753600.00', '', `GBP/EUR=1.1876@2025-03-31#${rate.position}`],
      ['committed', 'GBP', '5000000.00', '1', 'EUR', '5938000.00', '', `GBP/EUR=1.1876@2025-03-31#${rate.position}`],
      ['disbursed', 'GBP', '2000000.00', '1', 'EUR', '2375200.00', '', `GBP/EUR=1.1876@2025-03-31#${rate.position}`],
    ]);
  });
});
