// A damaged history of the totals is found, not believed: every full 64 KiB block of its record files and every base
// file carries a CRC-32, checked the first time a process reads it; what does not match stops the history (logged
// once, marked for a rebuild at the next start) instead of giving wrong past totals.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BLOCK_BYTES, HistoryDamagedError, RecordFile } from '../../src/projections/history/recordFile.js';
import { TotalsHistory } from '../../src/projections/history/totalsHistory.js';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { queryTotals } from '../../src/projections/models/totals/query.js';
import type { TotalsState } from '../../src/projections/models/totals/state.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { tempDataDir } from '../support/childLedger.js';
import { flipBit } from '../support/flipBit.js';
import { histories, World } from './histories.js';

/** A directory removed when the test ends. */
const aDirectory = tempDataDir;

/** `count` records of `bytes` each, record i filled with a pattern of its own. */
function fill(file: RecordFile, count: number): void {
  for (let index = 0; index < count; index += 1) {
    const { buffer, offset } = file.next();
    for (let byte = 0; byte < file.recordBytes; byte += 1) buffer[offset + byte] = (index * 31 + byte * 7) & 0xff;
  }
}

describe('a record file of the history', () => {
  it('reads back what was written, across flushes, a reopen, a truncation mid-block and appends after it', () => {
    fc.assert(
      fc.property(fc.constantFrom(16, 40), fc.integer({ min: 0, max: 12_000 }), fc.nat(), fc.nat(), (recordBytes, count, cut, more) => {
        const file = path.join(aDirectory(), 'records.bin');
        let records = new RecordFile(file, recordBytes);
        fill(records, count);
        records.close();
        records = new RecordFile(file, recordBytes);
        const kept = cut % (count + 1);
        records.truncate(kept);
        fill(records, more % 3000);
        const total = records.count;
        records.close();
        records = new RecordFile(file, recordBytes);
        expect(records.count).toBe(total);
        expect(records.read(0, total).length).toBe(total * recordBytes);
        records.close();
      }),
      { numRuns: 25 },
    );
  });

  it('refuses a read over a full block whose bytes changed, and still reads the blocks around it', () => {
    const file = path.join(aDirectory(), 'records.bin');
    const records = new RecordFile(file, 16);
    const perBlock = BLOCK_BYTES / 16;
    fill(records, perBlock * 3 + 10);
    records.close();
    flipBit(file, BLOCK_BYTES + 1234);
    const reopened = new RecordFile(file, 16);
    expect(() => reopened.read(perBlock + 5, perBlock + 6)).toThrow(HistoryDamagedError);
    expect(() => reopened.read(0, perBlock * 3 + 10)).toThrow(/block 1 does not match its checksum/);
    expect(reopened.read(0, perBlock).length).toBe(BLOCK_BYTES);
    expect(reopened.read(perBlock * 2, perBlock * 3 + 10).length).toBe((perBlock + 10) * 16);
    reopened.close();
  });

  it('takes the checksums of blocks written whole before them from their bytes (a crash between the two writes)', () => {
    const file = path.join(aDirectory(), 'records.bin');
    const records = new RecordFile(file, 40);
    fill(records, 5000);
    records.close();
    fs.rmSync(`${file}.crc`);
    const reopened = new RecordFile(file, 40);
    expect(fs.statSync(`${file}.crc`).size).toBe(Math.floor((5000 * 40) / BLOCK_BYTES) * 4);
    reopened.close();
    // Checked from then on: a change to those bytes is found.
    flipBit(file, 10);
    const again = new RecordFile(file, 40);
    expect(() => again.read(0, 1)).toThrow(HistoryDamagedError);
    again.close();
  });
});

/** A history recorded beside a live state over random events, with a base every `baseEvery` events. */
function aRecordedHistory(baseEvery: number): { history: TotalsHistory; live: TotalsState; events: RecordedEvent[]; directory: string } {
  const [actions] = fc.sample(histories(60), { numRuns: 1, seed: 21 }) as [Parameters<World['run']>[0][]];
  const world = new World();
  for (const action of actions) if ((action as { kind: string }).kind !== 'check') world.run(action);
  const events = world.log.events;
  const directory = aDirectory();
  const history = TotalsHistory.open(directory, pino({ level: 'silent' }), baseEvery);
  const live = totalsProjection.initialState();
  history.attach(live);
  for (const event of events) {
    if (totalsProjection.canHandle(event)) totalsProjection.evolve(live, event);
    history.eventFolded(event, live);
  }
  history.flush();
  return { history, live, events, directory };
}

describe('a damaged base of the history', () => {
  it('is found when a past state reads it; the history then stops answering and the next start rebuilds it', () => {
    const { history, live, events, directory } = aRecordedHistory(3);
    expect(events.length).toBeGreaterThan(6);
    // The last base: the first ones may hold no cells yet (programmes registered, nothing announced).
    const base = Math.max(...fs.readdirSync(path.join(directory, 'bases')).map(Number));
    const cells = path.join(directory, 'bases', String(base), 'cells.bin');
    expect(fs.statSync(cells).size).toBeGreaterThan(0);
    flipBit(cells, fs.statSync(cells).size - 1);
    // A past state reads its parts as a query first asks for them.
    expect(() => queryTotals(history.stateAt(base, live), { groupBy: [], filter: {} })).toThrow(HistoryDamagedError);

    const lines: string[] = [];
    const logged = TotalsHistory.open(directory, pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }), 3);
    const error = new HistoryDamagedError(cells, 'it does not match its checksum');
    logged.damaged(error);
    logged.damaged(error);
    expect(logged.available).toBe(false);
    expect(lines.filter((line) => line.includes('the history of the totals is damaged'))).toHaveLength(1);
    // The next start does not align to a snapshot: it folds every event again and resets the history.
    expect(logged.alignTo(events.length, (events.at(-1) as RecordedEvent).position)).toBe(false);
    history.close();
    logged.close();
  });

  it('is found when its base.json is not the JSON it was written as', () => {
    const { history, live, directory } = aRecordedHistory(3);
    const base = Math.max(...fs.readdirSync(path.join(directory, 'bases')).map(Number));
    fs.writeFileSync(path.join(directory, 'bases', String(base), 'base.json'), '{"cells": 4, "sl');
    expect(() => queryTotals(history.stateAt(base, live), { groupBy: [], filter: {} })).toThrow(HistoryDamagedError);
    history.close();
  });
});

describe('the check of the whole history after start', () => {
  it('finds a damaged block or base file before any answer reads it, and stops the history once', () => {
    const { history, directory } = aRecordedHistory(3);
    history.close();
    const lines: string[] = [];
    const reopened = (): TotalsHistory =>
      TotalsHistory.open(directory, pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }), 3);
    // Sound: the whole of it checks, and the history still answers.
    let opened = reopened();
    for (const _ of opened.checkAll());
    expect(opened.available).toBe(true);
    opened.close();
    const base = Math.max(...fs.readdirSync(path.join(directory, 'bases')).map(Number));
    flipBit(path.join(directory, 'bases', String(base), 'slots.bin'), 0);
    opened = reopened();
    for (const _ of opened.checkAll());
    expect(opened.available).toBe(false);
    expect(lines.filter((line) => line.includes('the history of the totals is damaged'))).toHaveLength(1);
    opened.close();
  });

  it('stops at its next step once the history is closed', () => {
    const { history } = aRecordedHistory(3);
    const steps = history.checkAll();
    expect(steps.next().done).toBe(false);
    history.close();
    expect(steps.next().done).toBe(true);
  });
});
