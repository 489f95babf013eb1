// Re-announcements: the parts of an announcement's amount that restate earlier announcements, and their rules.
import { ValidationError, type FieldError } from '../../domain/errors.js';
import { describeAmountProblem, formatAmount, parseAmount, type CurrencyCode, type Money } from '../../domain/money.js';
import type { Restatement } from './events.js';

/** A restated part as a request or a file states it: the value a decimal string in this announcement's currency. */
export interface RestatementValue {
  readonly announcement: string;
  readonly value: string;
}

/**
 * What the ledger knows of an announcement another one names in `restates`, gathered at the edge from the
 * restatements read model (projections/models/restatements.ts). Across replicas it is as eventually consistent as the
 * programme check: two replicas may each accept a part the other's has not seen yet.
 */
export interface RestatedAnnouncement {
  readonly status: 'active' | 'withdrawn';
  readonly amount: Money;
  /** Minor units of its amount that announcements other than the deciding one restate. */
  readonly restatedByOthers: number;
  /** Whether its own restatements lead, through any chain, back to the deciding announcement (a cycle). */
  readonly leadsBack: boolean;
}

/** Facts about the announcements a command's `restates` names, by id; one absent does not exist. */
export type RestatedFacts = ReadonlyMap<string, RestatedAnnouncement>;

/** The restated parts of a request, parsed in `currency`; a bad value is a 400 naming `${field}[index].value`. */
export function requestedRestatements(values: readonly RestatementValue[], currency: CurrencyCode, field: string): Restatement[] {
  const errors: FieldError[] = [];
  const parsed = values.map((part, index): Restatement => {
    const amount = parseAmount(part.value, currency);
    if (typeof amount !== 'string') return { announcementId: part.announcement, amount };
    errors.push({ field: `${field}[${index}].value`, message: describeAmountProblem(amount, currency) });
    return { announcementId: part.announcement, amount: { currency, minor: 0 } };
  });
  if (errors.length > 0) throw new ValidationError('the request body is invalid', errors);
  return parsed;
}

/** Rules a version of an announcement satisfies on its own: parts in its currency, summing to at most its amount. */
export function restatementShapeErrors(amount: Money, restates: readonly Restatement[]): FieldError[] {
  const errors: FieldError[] = [];
  let sum = 0;
  restates.forEach((part, index) => {
    if (part.amount.currency !== amount.currency) {
      errors.push({ field: `restates[${index}].value`, message: `restated parts are in ${amount.currency}, the amount's currency` });
    }
    sum += part.amount.minor;
  });
  if (errors.length === 0 && sum > amount.minor) {
    errors.push({ field: 'restates', message: `the restated parts sum to more than the amount (${formatAmount(amount)})` });
  }
  return errors;
}

/**
 * Rules that need the earlier announcements: each exists, is not withdrawn, is another announcement named once, would
 * not close a cycle, is in this currency, and still has this much not restated by other announcements.
 */
export function restatementFactErrors(selfId: string, restates: readonly Restatement[], facts: RestatedFacts): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  restates.forEach((part, index) => {
    const announcement = `restates[${index}].announcement`;
    const earlierId = part.announcementId;
    if (earlierId === selfId) {
      errors.push({ field: announcement, message: 'an announcement cannot restate itself' });
      return;
    }
    if (seen.has(earlierId)) {
      errors.push({ field: announcement, message: `${earlierId} appears more than once` });
      return;
    }
    seen.add(earlierId);
    const earlier = facts.get(earlierId);
    if (earlier === undefined) {
      errors.push({ field: announcement, message: `announcement ${earlierId} does not exist` });
      return;
    }
    if (earlier.status === 'withdrawn') {
      errors.push({ field: announcement, message: `announcement ${earlierId} was withdrawn` });
      return;
    }
    if (earlier.leadsBack) {
      errors.push({ field: announcement, message: `announcement ${earlierId} restates this one (directly or through others): a cycle` });
      return;
    }
    const value = `restates[${index}].value`;
    if (earlier.amount.currency !== part.amount.currency) {
      errors.push({ field: value, message: `announcement ${earlierId} is in ${earlier.amount.currency}` });
      return;
    }
    const left = earlier.amount.minor - earlier.restatedByOthers;
    if (part.amount.minor > left) {
      const available = formatAmount({ currency: earlier.amount.currency, minor: Math.max(left, 0) });
      errors.push({ field: value, message: `exceeds what of announcement ${earlierId} others do not restate yet (${available})` });
    }
  });
  return errors;
}
