// Allocation values arrive as decimal strings in the amount's currency, which a schema alone cannot see.
import { ValidationError } from '../../domain/errors.js';
import { describeAmountProblem, parseAmount, type CurrencyCode } from '../../domain/money.js';
import type { Allocation } from './events.js';

/** An allocation as a request or a file states it: the value a decimal string in the amount's currency. */
export interface AllocationValue {
  readonly country: string;
  readonly value: string;
}

export interface AllocationValueProblem {
  readonly index: number;
  readonly message: string;
}

/** Parses every allocation value in `currency`; problems name the allocation's index (its value is then 0). */
export function parseAllocationValues(
  allocations: readonly AllocationValue[],
  currency: CurrencyCode,
): { allocations: Allocation[]; problems: AllocationValueProblem[] } {
  const problems: AllocationValueProblem[] = [];
  const parsed = allocations.map((allocation, index): Allocation => {
    const amount = parseAmount(allocation.value, currency);
    if (typeof amount !== 'string') return { country: allocation.country, amount };
    problems.push({ index, message: describeAmountProblem(amount, currency) });
    return { country: allocation.country, amount: { currency, minor: 0 } };
  });
  return { allocations: parsed, problems };
}

/** The allocations of a request, parsed in `currency`; a bad value is a 400 naming `${field}[index].value`. */
export function requestedAllocations(allocations: readonly AllocationValue[], currency: CurrencyCode, field: string): Allocation[] {
  const parsed = parseAllocationValues(allocations, currency);
  if (parsed.problems.length > 0) {
    throw new ValidationError(
      'the request body is invalid',
      parsed.problems.map((p) => ({ field: `${field}[${p.index}].value`, message: p.message })),
    );
  }
  return parsed.allocations;
}
