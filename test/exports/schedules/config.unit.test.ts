// The schedules file: a valid one is read as given; every kind of mistake is refused naming the schedule and the field.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config.js';
import { loadExportSchedules, parseExportSchedules } from '../../../src/exports/schedules/config.js';
import { theDailyByCountrySchedule } from '../../support/scenarios.js';

const DATA_DIR = '/srv/ledger-data';

/** The example of issue 6. */
const dailyByCountry = theDailyByCountrySchedule();

function problemOf(schedules: unknown): string {
  try {
    parseExportSchedules(schedules, DATA_DIR);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the schedules were accepted');
}

describe('the export schedules file', () => {
  it('reads the example of the issue', () => {
    const [schedule] = parseExportSchedules([dailyByCountry], DATA_DIR);

    expect(schedule).toMatchObject({
      name: 'daily-by-country',
      cron: '0 6 * * *',
      timezone: 'Europe/London',
      kind: 'totals',
      keep: 30,
      directory: '/srv/ledger-data/exports',
    });
    expect(schedule?.spec).toEqual({
      bom: false,
      request: { kind: 'totals', groupBy: ['country', 'year'], currency: 'EUR', asOf: undefined, filter: {} },
    });
  });

  it('takes a cron with seconds, a comma list of dimensions, filters, an absolute directory, UTC by default, and the other kinds', () => {
    const schedules = parseExportSchedules(
      [
        {
          name: 'every-second',
          cron: '*/1 * * * * *',
          kind: 'totals',
          options: { groupBy: 'programme,funder', programme: 'oic-supply-chains', yearFrom: 2025, bom: true },
          directory: '/var/exports',
          keep: 1,
        },
        { name: 'announcements.weekly', cron: '0 7 * * MON', kind: 'announcements', directory: 'a', keep: 4 },
        { name: 'journal', cron: '@daily', kind: 'events', options: { bom: true }, directory: 'j', keep: 2 },
      ],
      DATA_DIR,
    );

    expect(schedules.map((s) => [s.name, s.timezone, s.directory, s.spec.bom])).toEqual([
      ['every-second', 'UTC', '/var/exports', true],
      ['announcements.weekly', 'UTC', '/srv/ledger-data/a', false],
      ['journal', 'UTC', '/srv/ledger-data/j', true],
    ]);
    expect(schedules[0]?.spec.request).toMatchObject({
      groupBy: ['programme', 'funder'],
      filter: { programme: 'oic-supply-chains', yearFrom: 2025 },
    });
  });

  it.each([
    [
      'an unknown dimension',
      { options: { groupBy: ['country', 'planet'] } },
      'schedule "daily-by-country": options.groupBy: unknown dimension "planet"',
    ],
    ['an unknown currency', { options: { currency: 'USD' } }, 'schedule "daily-by-country": options.currency: must be one of GBP, EUR'],
    ['a bad country filter', { options: { country: 'Narnia' } }, 'schedule "daily-by-country": options.country:'],
    ['an option of another kind', { kind: 'events' }, 'schedule "daily-by-country": options: Unrecognized keys: "groupBy", "currency"'],
    ['a bad asOf', { options: { asOf: 'yesterday' } }, 'schedule "daily-by-country": options.asOf: must be a position'],
    ['a cron with too many fields', { cron: '0 0 6 * * * 2026' }, 'schedule "daily-by-country": cron: '],
    ['a cron out of range', { cron: '61 6 * * *' }, 'schedule "daily-by-country": cron: CronPattern: Invalid value for minute: 61'],
    ['a cron that never runs', { cron: '0 0 30 2 *' }, 'schedule "daily-by-country": cron: never runs'],
    ['an unknown time zone', { timezone: 'Mars/Olympus_Mons' }, 'schedule "daily-by-country": timezone: must be an IANA time zone'],
    ['an unknown kind', { kind: 'pivot' }, 'schedule "daily-by-country": kind: must be totals, announcements, events'],
    ['keep 0', { keep: 0 }, 'schedule "daily-by-country": keep: must be at least 1'],
    ['keep 1.5', { keep: 1.5 }, 'schedule "daily-by-country": keep: must be a whole number'],
    ['no directory', { directory: '' }, 'schedule "daily-by-country": directory: must name a directory'],
    ['a name unfit for a file', { name: '../escape' }, 'schedule "../escape": name: must be 1-64 letters'],
    ['an unknown field', { colour: 'blue' }, 'schedule "daily-by-country": Unrecognized key: "colour"'],
  ])('refuses %s, naming the schedule and the field', (_case, change, message) => {
    expect(problemOf([{ ...dailyByCountry, ...change }])).toContain(message);
  });

  it('names a schedule without a name by its place in the file', () => {
    const { name: _name, ...nameless } = dailyByCountry;

    expect(problemOf([dailyByCountry, nameless])).toContain('schedule 2: name: is required');
  });

  it('refuses two schedules with one name', () => {
    expect(problemOf([dailyByCountry, { ...dailyByCountry, cron: '0 7 * * *' }])).toContain(
      'schedule "daily-by-country": name: another schedule has this name',
    );
  });

  it('lists every problem, not only the first', () => {
    const message = problemOf([
      { ...dailyByCountry, keep: 0, cron: 'nope' },
      { ...dailyByCountry, name: 'other', kind: 'x' },
    ]);

    expect(message.split('\n').slice(1)).toHaveLength(3);
  });

  it('refuses anything but an array', () => {
    expect(problemOf({ schedules: [] })).toContain('must hold a JSON array of schedules');
  });

  describe('as a file', () => {
    let dir: string;
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('has no schedules when none is configured, and names the file when it is missing or not JSON', () => {
      dir = mkdtempSync(join(tmpdir(), 'schedules-'));
      const file = join(dir, 'schedules.json');

      expect(loadExportSchedules(undefined, dir)).toEqual([]);
      expect(() => loadExportSchedules(file, dir)).toThrow(`EXPORT_SCHEDULES_FILE: cannot read ${file}`);
      writeFileSync(file, '[{');
      expect(() => loadExportSchedules(file, dir)).toThrow(`EXPORT_SCHEDULES_FILE: ${file} is not JSON`);
      writeFileSync(file, JSON.stringify([{ ...dailyByCountry, options: { groupBy: ['planet'] } }]));
      expect(() => loadExportSchedules(file, dir)).toThrow(
        `EXPORT_SCHEDULES_FILE ${file}: invalid export schedules:\n  schedule "daily-by-country": options.groupBy: unknown dimension "planet"`,
      );
    });
  });
});
