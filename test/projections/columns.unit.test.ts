// Dates as day numbers: the read models keep announcedOn as YYYYMMDD and must give back the same date.
import { describe, expect, it } from 'vitest';
import { dayNumber, dayText } from '../../src/projections/models/columns.js';

describe('day numbers', () => {
  it('are YYYYMMDD, in the same order as the dates, and give the date back', () => {
    let previous = -1;
    for (let time = Date.UTC(1999, 0, 1); time <= Date.UTC(2031, 0, 1); time += 86_400_000 * 3) {
      const date = new Date(time).toISOString().slice(0, 10);
      const day = dayNumber(date);
      expect(day).toBe(Number(date.replaceAll('-', '')));
      expect(day).toBeGreaterThan(previous);
      expect(dayText(day)).toBe(date);
      previous = day;
    }
  });
});
