import { describe, expect, it } from 'vitest';
import { fiscalYearOf, isIsoDate, yearOf } from '../../src/domain/dates.js';

describe('dates', () => {
  it('accepts only real calendar dates', () => {
    expect(isIsoDate('2025-03-31')).toBe(true);
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-02-29')).toBe(false);
    expect(isIsoDate('2025-3-31')).toBe(false);
    expect(isIsoDate('2025-03-31T00:00:00Z')).toBe(false);
  });

  it('labels the UK financial year, 1 April to 31 March', () => {
    expect(fiscalYearOf('2025-03-31')).toBe('2024-25');
    expect(fiscalYearOf('2025-04-01')).toBe('2025-26');
    expect(fiscalYearOf('1999-12-31')).toBe('1999-00');
    expect(yearOf('2025-03-31')).toBe(2025);
  });
});
