// The audit signing key on disk: Go's PRIVATE+KEY text in a 0600 file, made once and then only read.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { formatSignerKey, generateSignerKey, MalformedKeyError, parseSignerKey } from './signedNote.js';
import type { SignerKey } from './signedNote.js';

/** The secret is the owner's alone, as everything under DATA_DIR is. */
const KEY_FILE_MODE = 0o600;

/** The key file cannot be read, holds no signer key, or holds the key of another name. */
export class SigningKeyFileError extends Error {
  override readonly name = 'SigningKeyFileError';
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${message}`, options);
  }
}

/**
 * Writes the key through a temp file (fsync) that is then hard-linked into place: unlike a rename, the link fails if
 * the file already exists, so of two instances starting at once on a fresh DATA_DIR only one key ever lands.
 * Returns false, leaving the existing file alone, when there already was one.
 */
export function writeSigningKeyFile(path: string, key: SignerKey): boolean {
  const directory = dirname(path);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const temp = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', KEY_FILE_MODE);
    try {
      writeSync(fd, `${formatSignerKey(key)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    syncDirectory(directory);
    return true;
  } finally {
    rmSync(temp, { force: true });
  }
}

export function readSigningKeyFile(path: string): SignerKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SigningKeyFileError(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  try {
    // One trailing newline is allowed: editors and `echo` add one.
    return parseSignerKey(text.endsWith('\n') ? text.slice(0, -1) : text);
  } catch (error) {
    if (error instanceof MalformedKeyError)
      throw new SigningKeyFileError(path, `does not hold a signer key: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * The ledger's signing key for `name`: read from `path`, or made and written there on first start. A file holding the
 * key of another name is refused, since checkpoints signed under a name other than the log's origin mislead verifiers.
 */
export function loadOrCreateSigningKey(path: string, name: string): SignerKey {
  // Only a missing file is written: a key mounted read-only (AUDIT_SIGNING_KEY_FILE) must not need a writable directory.
  if (!existsSync(path)) writeSigningKeyFile(path, generateSignerKey(name));
  const key = readSigningKeyFile(path);
  if (key.name !== name) throw new SigningKeyFileError(path, `holds the key of ${JSON.stringify(key.name)}, not ${JSON.stringify(name)}`);
  return key;
}

/** Every ledger's log is named funding-ledger/<id>; its key carries that name. */
const ORIGIN_PREFIX = 'funding-ledger/';

/**
 * The ledger's signing key and so its log's name. With a ledger id, the key must carry that name (made with it when
 * missing). Without one, an existing key names the ledger; a new one gets a random id, written into the key file,
 * so every later start, and every instance given the same file, signs under the same name.
 */
export function openLedgerSigningKey(path: string, ledgerId: string | undefined): SignerKey {
  if (ledgerId !== undefined) return loadOrCreateSigningKey(path, `${ORIGIN_PREFIX}${ledgerId}`);
  if (!existsSync(path)) writeSigningKeyFile(path, generateSignerKey(`${ORIGIN_PREFIX}${randomBytes(8).toString('hex')}`));
  const key = readSigningKeyFile(path);
  if (!key.name.startsWith(ORIGIN_PREFIX))
    throw new SigningKeyFileError(path, `holds the key of ${JSON.stringify(key.name)}, not of a funding-ledger/<id> log`);
  return key;
}

/** Makes the new directory entry durable; best effort where a directory cannot be opened for sync. */
function syncDirectory(directory: string): void {
  try {
    const fd = openSync(directory, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (_error) {
    // The file itself is already fsynced.
  }
}
