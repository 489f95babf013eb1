// A cell that really starts with an apostrophe survives export and import; re-importing a ledger's own export adds nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FORMULA_TRIGGERS, neutraliseFormula, restoreNeutralised } from '../../src/schemas/csv.js';
import { importFile } from '../../src/imports/importFile.js';
import { openEmbeddedStore } from '../../src/store/embedded.js';
import { announce, clientOf, expectStatus, startTestLedger } from '../support/ledger.js';
import { anAnnouncement, registerProgrammes } from '../support/scenarios.js';

const RUN = { correlationId: 'run-1', now: () => '2025-06-01T09:00:00.000Z' };

function aTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hygiene-csv-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('neutralising a cell and restoring it', () => {
  const cells = ["'=1+1", "'quoted", "'", "''", "''=x", '=1+1', '+44', '-minus', '@sum', '\tx', '\rx', "it's", 'plain', '', "'+'", "'''"];

  it.each(cells.map((cell) => [JSON.stringify(cell), cell]))('gives back %s exactly', (_name, cell) => {
    expect(restoreNeutralised(neutraliseFormula(cell))).toBe(cell);
  });

  it('marks a cell that starts with an apostrophe, so the mark alone tells a neutralised cell', () => {
    expect(neutraliseFormula("'=1+1")).toBe("''=1+1");
    expect(neutraliseFormula("'quoted")).toBe("''quoted");
    expect(neutraliseFormula('=1+1')).toBe("'=1+1");
    for (const trigger of FORMULA_TRIGGERS) expect(neutraliseFormula(`${trigger}x`)).toBe(`'${trigger}x`);
    expect(neutraliseFormula("it's")).toBe("it's");
  });

  it('removes one apostrophe only before a trigger or another apostrophe', () => {
    expect(restoreNeutralised("'quoted")).toBe("'quoted");
    expect(restoreNeutralised("''quoted")).toBe("'quoted");
    expect(restoreNeutralised("'=1+1")).toBe('=1+1');
    expect(restoreNeutralised("'")).toBe("'");
  });
});

describe("a ledger's own export, imported again", () => {
  it('keeps titles that start with an apostrophe, and adds nothing to the ledger it came from', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);
    const titles = ["'=1+1", "'quoted", "''twice", '=SUM(A1:A2)'];
    for (const title of titles)
      await announce(ledger, anAnnouncement({ title, source: { url: 'https://www.gov.uk/x', publisher: "'Home Office'" } }));
    const exported = expectStatus(await clientOf(ledger).get('/exports/announcements.csv'), 200).text;
    const file = path.join(aTempDir(), 'own-export.csv');
    fs.writeFileSync(file, exported);
    const head = await ledger.storeHead();

    const again = await importFile(ledger.ledger.context.store, file, RUN);

    expect(exported).toContain(",''=1+1,");
    expect(exported).toContain(",''quoted,");
    expect(exported).toContain(",'''twice,");
    expect(exported).toContain(",'=SUM(A1:A2),");
    expect(again).toMatchObject({ rowsRead: 4, imported: 0, alreadyPresent: 4, badRows: 0, problems: [], written: false });
    expect(await ledger.storeHead()).toBe(head);

    // Into an empty ledger the same file gives the titles back exactly.
    const target = openEmbeddedStore({ dataDir: path.join(aTempDir(), 'data') });
    onTestFinished(() => target.close());
    const fresh = await importFile(target, file, RUN);
    const recorded: string[] = [];
    for await (const event of target.readAll()) {
      const data = event.data as { title: string; source?: { publisher?: string } };
      if (event.type === 'FundingAnnounced') recorded.push(`${data.title} | ${data.source?.publisher}`);
    }
    expect(fresh).toMatchObject({ imported: 4, badRows: 0, written: true });
    expect(recorded).toEqual(titles.map((title) => `${title} | 'Home Office'`));
  });
});
