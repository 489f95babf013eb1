// How figures, countries and dates read on the page: exact amounts from their decimal strings, never through a float.
import type { Figures, Money } from './model.js';

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** "£30,000,000.00": Intl formats the decimal string itself, so the figure shown is the exact one. */
export function formatMoney(money: Money): string {
  let format = moneyFormats.get(money.currency);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-GB', { style: 'currency', currency: money.currency, minimumFractionDigits: 2 });
    moneyFormats.set(money.currency, format);
  }
  return format.format(money.value as Intl.StringNumericLiteral);
}

const compact = new Intl.NumberFormat('en-GB', { notation: 'compact', maximumFractionDigits: 1 });

/** Axis ticks only: "30M". */
export function formatCompact(value: number): string {
  return compact.format(value);
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

export function countryName(code: string): string {
  if (code === 'unallocated') return 'Unallocated';
  try {
    return regionNames.of(code) ?? code;
  } catch (_error) {
    return code;
  }
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** A figure in words, for a chart's text alternative: "£3,000,000.00 (1 announcement)". */
export function describeFigures(figures: Figures, converted: boolean): string {
  const count = plural(figures.count, 'announcement');
  if (!converted) return `${figures.amounts.map(formatMoney).join(' and ') || 'nothing'} (${count})`;
  const left = figures.unconverted?.length ?? 0;
  const value = figures.converted === undefined ? 'nothing converted' : formatMoney(figures.converted);
  return `${value} (${count}${left > 0 ? `; ${plural(left, 'announcement')} not converted` : ''})`;
}

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });

export function formatInstant(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

export function formatDate(isoDate: string): string {
  const date = new Date(`${isoDate}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? isoDate : dateOnly.format(date);
}
