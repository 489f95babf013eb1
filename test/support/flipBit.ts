// Damage as a failing disk makes it: one bit of one byte of a file turned, the file otherwise as it was.
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';

/** Turns one bit of the byte at `at` (by default the file's last byte) of `file`. */
export function flipBit(file: string, at: number = statSync(file).size - 1): void {
  const fd = openSync(file, 'r+');
  try {
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, at);
    byte[0] = (byte[0] as number) ^ 0x10;
    writeSync(fd, byte, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}
