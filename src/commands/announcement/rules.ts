// Rules every version of an announcement must satisfy, whether announced or amended.
import type { FieldError } from '../../domain/errors.js';
import { sameMoney, sumMoney } from '../../domain/money.js';
import type { AnnouncementFields } from './events.js';

export function brokenRules(fields: AnnouncementFields, programmeRegistered: boolean): FieldError[] {
  const errors: FieldError[] = [];
  if (!programmeRegistered) {
    errors.push({ field: 'programme', message: `programme "${fields.programme}" is not registered` });
  }
  if (fields.country !== undefined && fields.allocations !== undefined) {
    errors.push({ field: 'allocations', message: 'give either country or allocations, not both' });
  }
  if (fields.allocations !== undefined) errors.push(...allocationErrors(fields));
  if (fields.statedEquivalent !== undefined && fields.statedEquivalent.currency === fields.amount.currency) {
    errors.push({
      field: 'statedEquivalent.currency',
      message: 'the stated equivalent is the figure quoted in another currency than the amount',
    });
  }
  return errors;
}

function allocationErrors(fields: AnnouncementFields): FieldError[] {
  const allocations = fields.allocations ?? [];
  const errors: FieldError[] = [];
  if (allocations.length === 0) errors.push({ field: 'allocations', message: 'give at least one allocation' });
  const seen = new Set<string>();
  allocations.forEach((allocation, index) => {
    if (allocation.amount.currency !== fields.amount.currency) {
      errors.push({ field: `allocations[${index}].value`, message: `allocations are in ${fields.amount.currency}, the amount's currency` });
    }
    if (seen.has(allocation.country)) {
      errors.push({ field: `allocations[${index}].country`, message: `${allocation.country} appears more than once` });
    }
    seen.add(allocation.country);
  });
  if (errors.length > 0) return errors;
  const sum = sumMoney(
    fields.amount.currency,
    allocations.map((a) => a.amount),
  );
  if (!sameMoney(sum, fields.amount)) {
    errors.push({ field: 'allocations', message: 'allocations must sum exactly to the amount' });
  }
  return errors;
}
