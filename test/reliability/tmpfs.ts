// A small tmpfs as a data directory, for tests that fill a disk for real (root only); unmounted when the test ends.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { onTestFinished } from 'vitest';

/** Whether this process may mount a tmpfs (root in a container that allows it). */
export function canMountTmpfs(): boolean {
  const probe = mkdtempSync(path.join(tmpdir(), 'funding-ledger-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch (_error) {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/**
 * Mounts a tmpfs of `size` (e.g. "4m") on a fresh directory. `beforeUnmount` runs first when the test ends (close
 * what holds files there); the unmount runs even when it fails.
 */
export function mountTmpfs(size: string, beforeUnmount: () => Promise<void>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'funding-ledger-tmpfs-'));
  mount(dir, size, beforeUnmount, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Mounts a tmpfs of `size` on `dir` (created when missing), e.g. DATA_DIR/backups, so only what goes there meets a
 * full disk. `beforeUnmount` as for mountTmpfs; the mount point is left for whoever owns the directory around it.
 */
export function mountTmpfsAt(dir: string, size: string, beforeUnmount: () => Promise<void>): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mount(dir, size, beforeUnmount, () => undefined);
  return dir;
}

function mount(dir: string, size: string, beforeUnmount: () => Promise<void>, afterUnmount: () => void): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  onTestFinished(async () => {
    try {
      await beforeUnmount();
    } finally {
      execFileSync('umount', ['-l', dir]);
      afterUnmount();
    }
  });
}

/** Writes zeros to `file` until the disk is full; returns the bytes written. */
export function fillDisk(file: string): number {
  const chunk = Buffer.alloc(64 * 1024);
  const fd = openSync(file, 'w');
  let written = 0;
  try {
    for (;;) {
      try {
        written += writeSync(fd, chunk, 0, chunk.length);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw error;
      }
    }
    // The last bytes: a smaller write may still fit.
    for (let size = 32 * 1024; size >= 512; size /= 2) {
      try {
        for (;;) written += writeSync(fd, chunk, 0, size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}
