// An embedded store for import tests, with what they ask of it: files written beside it, its events, its totals, and
// imports run as the CLI runs them (the store's restatement facts folded on demand).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { storedRestatedFacts } from '../../src/cli/restatementFacts.js';
import { importFile, type ImportOptions, type ImportReport } from '../../src/imports/importFile.js';
import { describeProblem } from '../../src/imports/problems.js';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { queryTotals, type Basis, type Stage } from '../../src/projections/models/totals/query.js';
import type { TotalsState } from '../../src/projections/models/totals/state.js';
import { foldEvents, FoldedStates } from '../../src/projections/runtime/fold.js';
import type { Projection } from '../../src/projections/runtime/projection.js';
import { openEmbeddedStore, type EmbeddedEventStore } from '../../src/store/embedded.js';
import type { RecordedEvent } from '../../src/store/port.js';

export interface ImportedLedger {
  readonly store: EmbeddedEventStore;
  aFile(name: string, text: string): string;
  /** `ledger import` without the process: problems as the CLI prints them. */
  importing(file: string, options?: Partial<ImportOptions>): Promise<ImportReport & { printed: string[] }>;
  events(): Promise<RecordedEvent[]>;
  /** The grand total of one stage (announced unless named) in one currency (GBP unless named); '0' when none. */
  totalOf(query?: { basis?: Basis; stage?: Stage; currency?: string }): Promise<string>;
}

/** A fresh store before each test of the calling file, closed and removed after it. */
export function anImportedLedger(): ImportedLedger {
  let root = '';
  let store: EmbeddedEventStore | undefined;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-import-'));
    store = openEmbeddedStore({ dataDir: path.join(root, 'data') });
  });
  afterEach(async () => {
    await store?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const opened = (): EmbeddedEventStore => {
    if (store === undefined) throw new Error('the store opens before each test');
    return store;
  };
  const events = async (): Promise<RecordedEvent[]> => {
    const all: RecordedEvent[] = [];
    for await (const event of opened().readAll()) all.push(event);
    return all;
  };
  return {
    get store() {
      return opened();
    },
    aFile(name, text) {
      const file = path.join(root, name);
      fs.writeFileSync(file, text);
      return file;
    },
    async importing(file, options = {}) {
      const report = await importFile(opened(), file, {
        correlationId: 'run-1',
        now: () => '2025-06-01T09:00:00.000Z',
        storedFacts: storedRestatedFacts(opened()),
        ...options,
      });
      return { ...report, printed: report.problems.map(describeProblem) };
    },
    events,
    async totalOf(query = {}) {
      const states = new FoldedStates([totalsProjection] as Projection<unknown>[]);
      await foldEvents(opened().readAll(), states);
      const state = states.stateOf(totalsProjection) as TotalsState;
      const filter = query.stage === undefined ? {} : { stage: [query.stage] };
      const { amounts } = queryTotals(state, { groupBy: [], filter, basis: query.basis }).total;
      return amounts.find((amount) => amount.currency === (query.currency ?? 'GBP'))?.value ?? '0';
    },
  };
}
