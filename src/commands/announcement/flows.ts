// Commitments and disbursements against an announcement: signed values in its currency, sums kept within 0..amount.
import { NotFoundError, RuleViolationError, ValidationError, type FieldError } from '../../domain/errors.js';
import { describeAmountProblem, formatAmount, parseSignedAmount, type Money } from '../../domain/money.js';
import type { Announcement, AnnouncementState, Flows } from './state.js';
import type { AnnouncementFields, FundingCommitted, FundingDisbursed, Source } from './events.js';

interface FlowRequest {
  readonly announcementId: string;
  /** A decimal string in the announcement's currency; negative corrects earlier ones (then `reason` is required). */
  readonly value: string;
  readonly on: string;
  readonly reason?: string | undefined;
  readonly source?: Source | undefined;
}

export type CommitFunding = { readonly type: 'CommitFunding'; readonly data: FlowRequest };

export type DisburseFunding = {
  readonly type: 'DisburseFunding';
  /** `country` may be left out when the announcement goes to one country (or none: `unallocated`). */
  readonly data: FlowRequest & { readonly country?: string | undefined };
};

type Kind = 'commitment' | 'disbursement';

/** Where an announcement's money goes, as totals name it: its country, its allocations' countries, or `unallocated`. */
export function countriesOf(announcement: Announcement): readonly string[] {
  if (announcement.allocations !== undefined) return announcement.allocations.map((a) => a.country);
  return [announcement.country ?? 'unallocated'];
}

/** Announced with neither a country nor allocations: where its money goes was not said. */
function isUnallocated(announcement: Announcement): boolean {
  return announcement.country === undefined && announcement.allocations === undefined;
}

/** The announcement the flow goes against, its value parsed in its currency, and the rules every flow follows. */
function checkedFlow(state: AnnouncementState, data: FlowRequest, kind: Kind, sumSoFar: (flows: Flows) => number) {
  if (state.status === 'none') throw new NotFoundError(`announcement ${data.announcementId} does not exist`);
  if (state.status === 'withdrawn') {
    throw new RuleViolationError(`announcement ${data.announcementId} was withdrawn and accepts no further ${kind}`);
  }
  const { announcement, flows } = state;
  const currency = announcement.amount.currency;
  const amount = parseSignedAmount(data.value, currency);
  if (typeof amount === 'string') {
    throw new ValidationError('the request body is invalid', [{ field: 'value', message: describeAmountProblem(amount, currency) }]);
  }
  const errors: FieldError[] = [];
  if (amount.minor === 0) errors.push({ field: 'value', message: 'must not be zero' });
  if (amount.minor < 0 && data.reason === undefined) {
    errors.push({ field: 'reason', message: `a negative ${kind} corrects earlier ones and must say why` });
  }
  const next = sumSoFar(flows) + amount.minor;
  const plural = `${kind}s`;
  if (next < 0) {
    errors.push({
      field: 'value',
      message: `would take the sum of ${plural} below zero (it is ${formatAmount(sumOf(sumSoFar(flows), currency))})`,
    });
  } else if (next > announcement.amount.minor) {
    errors.push({
      field: 'value',
      message: `would take the sum of ${plural} to ${formatAmount(sumOf(next, currency))}, above the amount announced`,
    });
  }
  return { announcement, amount, errors };
}

function sumOf(minor: number, currency: Money['currency']): Money {
  return { currency, minor };
}

function optional<T>(key: string, value: T | undefined): Record<string, T> {
  return value === undefined ? {} : { [key]: value };
}

export function commit(state: AnnouncementState, { data }: CommitFunding): FundingCommitted[] {
  const { amount, errors } = checkedFlow(state, data, 'commitment', (flows) => flows.committed);
  if (errors.length > 0) throw new RuleViolationError('the commitment breaks the ledger rules', errors);
  return [
    {
      type: 'FundingCommitted',
      data: {
        announcementId: data.announcementId,
        amount,
        on: data.on,
        ...optional('reason', data.reason),
        ...optional('source', data.source),
      },
    },
  ];
}

export function disburse(state: AnnouncementState, { data }: DisburseFunding): FundingDisbursed[] {
  const { announcement, amount, errors } = checkedFlow(state, data, 'disbursement', (flows) => flows.disbursed);
  const countries = countriesOf(announcement);
  let country = data.country;
  if (country === undefined) {
    if (countries.length === 1) country = countries[0];
    else errors.push({ field: 'country', message: `the announcement goes to several countries; give one of ${countries.join(', ')}` });
  } else if (!countries.includes(country) && !isUnallocated(announcement)) {
    // Money announced without a destination may go anywhere: the disbursement is what says where it went.
    errors.push({ field: 'country', message: `the announcement's money goes to ${countries.join(', ')}, not ${country}` });
  }
  if (errors.length > 0 || country === undefined) throw new RuleViolationError('the disbursement breaks the ledger rules', errors);
  return [
    {
      type: 'FundingDisbursed',
      data: {
        announcementId: data.announcementId,
        amount,
        on: data.on,
        country,
        ...optional('reason', data.reason),
        ...optional('source', data.source),
      },
    },
  ];
}

/**
 * What an amended amount must still cover: the commitments and disbursements recorded against it, and what other
 * announcements restate from it; none of them may change currency under it.
 */
export function amountChangeErrors(current: Announcement, flows: Flows, restatedFromThis: number, next: Money): FieldError[] {
  const errors: FieldError[] = [];
  const hasFlows = flows.commitments.length > 0 || flows.disbursements.length > 0;
  if (next.currency !== current.amount.currency) {
    if (hasFlows) errors.push({ field: 'amount.currency', message: 'the announcement has commitments or disbursements in its currency' });
    if (restatedFromThis > 0) errors.push({ field: 'amount.currency', message: 'other announcements restate part of it in its currency' });
    return errors;
  }
  const floors: [number, string][] = [
    [flows.committed, 'committed'],
    [flows.disbursed, 'disbursed'],
    [restatedFromThis, 'restated by other announcements'],
  ];
  for (const [floor, what] of floors) {
    if (next.minor < floor) errors.push({ field: 'amount.value', message: `below the ${formatAmount({ ...next, minor: floor })} ${what}` });
  }
  return errors;
}

/**
 * Where an amended announcement's money goes must still include every country money was paid out to: a disbursement
 * is a fact, so a destination that leaves its country out would contradict it. Money announced without a destination
 * may have been paid anywhere.
 */
export function destinationChangeErrors(next: AnnouncementFields, flows: Flows): FieldError[] {
  if (flows.disbursements.length === 0 || (next.country === undefined && next.allocations === undefined)) return [];
  const paid = new Map<string, number>();
  for (const disbursement of flows.disbursements)
    paid.set(disbursement.country, (paid.get(disbursement.country) ?? 0) + disbursement.amount.minor);
  const countries = next.allocations !== undefined ? next.allocations.map((a) => a.country) : [next.country];
  const field = next.allocations !== undefined ? 'allocations' : 'country';
  return [...paid]
    .filter(([country, minor]) => minor > 0 && !countries.includes(country))
    .map(([country, minor]) => ({
      field,
      message: `${formatAmount({ ...next.amount, minor })} was disbursed to ${country}, which the amended announcement leaves out`,
    }));
}
