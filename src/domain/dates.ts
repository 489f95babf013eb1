// Calendar dates as the ledger holds them: ISO 8601 "YYYY-MM-DD" strings, compared as text.

/**
 * The years every date the ledger takes must lie in, and the bounds of the year filters: wide enough for any real
 * announcement or rate, narrow enough that a fiscal year is always "YYYY-YY" and a typo such as 0025 is caught.
 */
export const DATE_RANGE = { firstYear: 1900, lastYear: 2200 } as const;
export const EARLIEST_DATE = `${DATE_RANGE.firstYear}-01-01`;
export const LATEST_DATE = `${DATE_RANGE.lastYear}-12-31`;

/** True for a real calendar date in YYYY-MM-DD form (rejects 2025-02-30). */
export function isIsoDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** True when a YYYY-MM-DD date (or the date part of an ISO instant) lies in DATE_RANGE. */
export function isDateInRange(isoDate: string): boolean {
  const date = isoDate.slice(0, 10);
  return date >= EARLIEST_DATE && date <= LATEST_DATE;
}

export function yearOf(isoDate: string): number {
  return Number(isoDate.slice(0, 4));
}

/** UK financial year (1 April to 31 March) of a date, labelled like "2025-26". */
export function fiscalYearOf(isoDate: string): string {
  const year = yearOf(isoDate);
  const start = isoDate.slice(5) >= '04-01' ? year : year - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
}
