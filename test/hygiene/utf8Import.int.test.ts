// An import file that is not UTF-8 is refused at the physical line of its first bad byte, and nothing is appended.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ANNOUNCEMENT_COLUMNS } from '../../src/schemas/csv.js';
import { checkFile, importFile, readImportFile, type ImportFormat } from '../../src/imports/importFile.js';
import { openEmbeddedStore } from '../../src/store/embedded.js';
import { ledger } from '../cli/ledgerCli.js';
import { aRow, csvOf } from '../imports/rows.js';

const RUN = { correlationId: 'run-1', now: () => '2025-06-01T09:00:00.000Z' };

function aTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hygiene-utf8-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Reads `bytes` as an import file handed over in the given chunks (sizes), as a slow or small-buffered stream would. */
async function reading(bytes: Buffer, format: ImportFormat, chunkSize = bytes.length): Promise<number> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize) chunks.push(bytes.subarray(at, at + chunkSize));
  const checked = await checkFile(readImportFile(Readable.from(chunks), format));
  return checked.valid.length;
}

const utf8Csv = (titles: readonly string[]): Buffer => Buffer.from(csvOf(titles.map((title) => aRow({ title }))), 'utf8');
const notUtf8 = /^line (\d+): the file is not valid UTF-8; save it as UTF-8/;

describe('the UTF-8 check of an import file', () => {
  it('refuses a Latin-1 CSV at the line of its first accented letter', async () => {
    const latin1 = Buffer.from(
      csvOf([aRow({ title: 'Plain' }), aRow({ title: 'Plain again' }), aRow({ title: 'Société Générale, Kosovë' })]),
      'latin1',
    );

    await expect(reading(latin1, 'csv')).rejects.toThrow(/^line 4: the file is not valid UTF-8/);
  });

  it('finds the line wherever the chunks of the stream break, and passes UTF-8 split mid-character', async () => {
    const good = utf8Csv(['Škoda, Łódź, 東京, Србија', '😀 emoji', 'Kosovë']);
    for (const size of [1, 2, 3, 5, 64]) expect(await reading(good, 'csv', size), `chunks of ${size}`).toBe(3);

    const bad = Buffer.concat([utf8Csv(['Škoda', 'Łódź']), Buffer.from('GB,x,\xff\n', 'latin1')]);
    for (const size of [1, 3, 64]) await expect(reading(bad, 'csv', size), `chunks of ${size}`).rejects.toThrow(/^line 4: /);
  });

  it('refuses a sequence cut short at the end of a line or of the file, an overlong form and a surrogate', async () => {
    const header = `${ANNOUNCEMENT_COLUMNS.join(',')}\r\n`;
    const cases: [string, Buffer, number][] = [
      ['cut short before a newline', Buffer.concat([Buffer.from(header), Buffer.from([0x22, 0xc5, 0x0a])]), 2],
      ['cut short at the end', Buffer.concat([Buffer.from(header), Buffer.from([0x22, 0xe6, 0x9d])]), 2],
      ['overlong', Buffer.concat([Buffer.from(`${header}x\n`), Buffer.from([0xc0, 0xaf])]), 3],
      ['a surrogate', Buffer.concat([Buffer.from(header), Buffer.from([0xed, 0xa0, 0x80, 0x0a])]), 2],
    ];
    for (const [name, bytes, line] of cases) {
      const error = await reading(bytes, 'csv', 2).then(
        () => undefined,
        (caught: Error) => caught,
      );
      expect(error?.message, name).toMatch(notUtf8);
      expect(Number(notUtf8.exec(error?.message ?? '')?.[1]), name).toBe(line);
    }
  });

  it('refuses JSON Lines the same way', async () => {
    const line = (title: string): string =>
      JSON.stringify({ funder: 'GB', programme: 'p', title, announcedOn: '2025-03-31', amount: { value: '1.00', currency: 'GBP' } });
    const bytes = Buffer.concat([Buffer.from(`${line('Škoda')}\n\n`, 'utf8'), Buffer.from(`${line('Société')}\n`, 'latin1')]);

    await expect(reading(bytes, 'jsonl', 7)).rejects.toThrow(/^line 3: the file is not valid UTF-8/);
  });
});

describe('importing a file that is not UTF-8', () => {
  it('appends nothing, through the import module and through `ledger import`', async () => {
    const dir = aTempDir();
    const file = path.join(dir, 'latin1.csv');
    fs.writeFileSync(file, Buffer.from(csvOf([aRow({ title: 'Plain' }), aRow({ title: 'Société' })]), 'latin1'));
    const dataDir = path.join(dir, 'data');
    const store = openEmbeddedStore({ dataDir });

    await expect(importFile(store, file, RUN)).rejects.toThrow(/^line 3: the file is not valid UTF-8/);
    expect(await store.headPosition()).toBeUndefined();
    await store.close();

    const ran = await ledger(['import', file, '--data-dir', dataDir]);
    const verified = await ledger(['audit', 'verify', '--json', '--data-dir', dataDir]);

    expect(ran.code).toBe(1);
    expect(ran.stderr).toMatch(/^ledger: line 3: the file is not valid UTF-8/);
    expect(JSON.parse(verified.stdout)).toMatchObject({ events: 0 });
  });
});
