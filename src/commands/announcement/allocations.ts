// Allocation values arrive as decimal strings in the amount's currency, which a schema alone cannot see.
import { describeAmountProblem, parseAmount, type CurrencyCode } from '../../domain/money.js';
import type { Allocation } from './events.js';

export interface AllocationValueProblem {
  readonly index: number;
  readonly message: string;
}

/** Parses every allocation value in `currency`; problems name the allocation's index (its value is then 0). */
export function parseAllocationValues(
  allocations: readonly { country: string; value: string }[],
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
