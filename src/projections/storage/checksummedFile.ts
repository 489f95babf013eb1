// A file of bytes followed by their SHA-256, written under a temporary name and renamed into place: a reader finds the
// old file or the whole new one, never part of one. Snapshots and as-of checkpoints are both written so.
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/**
 * Writes `body` and its SHA-256 to `path` (mode 0600). With `sync`, the bytes reach the disk before the rename. On
 * failure (a full disk, say) the partial file goes, with the space it took, and the file at `path` stays as it was.
 */
export function writeChecksummedFile(path: string, body: Uint8Array, options: { readonly sync: boolean }): void {
  const temp = `${path}.${randomUUID()}.tmp`;
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      // Body then its SHA-256, in two writes: no copy of tens of megabytes to join them.
      writeWhole(fd, body);
      writeWhole(fd, createHash('sha256').update(body).digest());
      if (options.sync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** writeSync may write less than asked (a disk filling up); the rest then goes in further writes, or fails with ENOSPC. */
function writeWhole(fd: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written, bytes.length - written);
}
