// Writing an export to disk atomically: a temp file beside the target, fsync, rename; nothing partial is ever left.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { csvStream, type CsvExport, type CsvOptions } from './csv.js';

export interface WrittenFile {
  /** Data rows, the header not counted. */
  readonly rows: number;
  /** SHA-256 (hex) of the file's bytes, BOM included. */
  readonly sha256: string;
  readonly bytes: number;
}

/** Export files are the owner's alone, as everything under DATA_DIR is (README "Durability"); share them on purpose. */
const EXPORT_FILE_MODE = 0o600;

/** The temp file a write goes through: in the same directory, so the rename cannot cross file systems. */
export const tempPathOf = (path: string): string => `${path}.tmp`;

/** Makes the rename itself durable; a directory cannot be opened for sync on every platform, which is then no worse than before. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (_error) {
    // Best effort: the file itself is already fsynced.
  }
}

/** Flushes a closed file to disk: fsync applies to the file, whichever descriptor asks. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes through a temp file, fsync and rename. On any failure the temp file is removed and the error rethrown. */
async function writeAtomically<T>(path: string, write: (temp: string) => Promise<T>): Promise<T> {
  const temp = tempPathOf(path);
  try {
    const result = await write(temp);
    await syncFile(temp);
    await rename(temp, path);
    await syncDirectory(dirname(path));
    return result;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Streams the export into `path` atomically, hashing and counting as it goes. */
export async function writeCsvFile(csv: CsvExport, path: string, options: CsvOptions = {}): Promise<WrittenFile> {
  const hash = createHash('sha256');
  let rows = 0;
  let bytes = 0;
  const digest = new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      hash.update(buffer);
      bytes += buffer.length;
      done(null, buffer);
    },
  });
  const onRow = (count: number): void => {
    rows = count;
    options.onRow?.(count);
  };
  await writeAtomically(path, (temp) =>
    pipeline(csvStream(csv, { ...options, onRow }), digest, createWriteStream(temp, { mode: EXPORT_FILE_MODE })),
  );
  return { rows, sha256: hash.digest('hex'), bytes };
}

/** Small text (a manifest) written the same way. */
export async function writeTextFile(path: string, text: string): Promise<void> {
  await writeAtomically(path, (temp) => writeFile(temp, text, { encoding: 'utf8', mode: EXPORT_FILE_MODE }));
}
