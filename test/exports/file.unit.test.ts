// Writing an export file: complete and hashed, or nothing at all (no temp file, the old file untouched).
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeCsvFile, writeTextFile } from '../../src/exports/file.js';
import { anExport, bytesOf } from './support.js';

function failingExport(after: number) {
  return {
    kind: 'events' as const,
    position: '3',
    columns: ['n'],
    rows: (async function* () {
      for (let n = 0; n < after; n += 1) yield [String(n)];
      throw new Error('no more rows');
    })(),
  };
}

describe('an export file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'export-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds exactly what the stream holds, and reports its rows and sha256', async () => {
    const rows = [
      ['1', 'a,b'],
      ['2', '=x'],
    ];
    const expected = await bytesOf(anExport(['n', 'v'], rows), { bom: true });

    const written = await writeCsvFile(anExport(['n', 'v'], rows), join(dir, 'out.csv'), { bom: true });

    expect(readFileSync(join(dir, 'out.csv'))).toEqual(expected);
    expect(written).toEqual({ rows: 2, bytes: expected.length, sha256: createHash('sha256').update(expected).digest('hex') });
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });

  it.each([0, 1, 5000])('leaves nothing behind and the old file as it was when the rows fail after %i', async (after) => {
    writeFileSync(join(dir, 'out.csv'), 'previous\r\n');

    await expect(writeCsvFile(failingExport(after), join(dir, 'out.csv'))).rejects.toThrow('no more rows');
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(readdirSync(dir)).toEqual(['out.csv']);
    expect(readFileSync(join(dir, 'out.csv'), 'utf8')).toBe('previous\r\n');
  });

  it('writes a manifest the same way', async () => {
    await writeTextFile(join(dir, 'm.json'), '{"rows":1}\n');

    expect(readdirSync(dir)).toEqual(['m.json']);
    expect(readFileSync(join(dir, 'm.json'), 'utf8')).toBe('{"rows":1}\n');
  });

  it('fails, leaving nothing, when the directory is missing', async () => {
    await expect(writeCsvFile(anExport(['n'], [['1']]), join(dir, 'missing', 'out.csv'))).rejects.toThrow(/ENOENT/);

    expect(readdirSync(dir)).toEqual([]);
  });
});
