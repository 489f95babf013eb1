// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the signed note body naming the journal tree's size and root.
import { decodeStandardBase64, isValidKeyName, openNote, signNote } from './signedNote.js';
import type { OpenedNote, SignerKey, VerifierKey } from './signedNote.js';

/** The root of an RFC 6962/9162 tree over SHA-256. */
const ROOT_HASH_BYTES = 32;

/** The text is not a checkpoint body; `message` names the line and what is wrong with it. */
export class MalformedCheckpointError extends Error {
  override readonly name = 'MalformedCheckpointError';
}

export interface Checkpoint {
  readonly origin: string;
  readonly treeSize: number;
  /** 32 bytes. */
  readonly rootHash: Buffer;
  /** Lines after the root hash. Kept when parsed, never emitted: the spec advises against them (monitors cannot audit them). */
  readonly extensions: readonly string[];
}

/** The origin line, and the signing key's name, of one ledger's log. */
export function checkpointOrigin(ledgerId: string): string {
  const origin = `funding-ledger/${ledgerId}`;
  if (!isValidKeyName(origin))
    throw new MalformedCheckpointError(`origin ${JSON.stringify(origin)}: the ledger id must be non-empty, with no space and no plus`);
  return origin;
}

/** origin, tree size in decimal, root hash in standard base64, each ending in a newline. */
export function formatCheckpoint(checkpoint: Pick<Checkpoint, 'origin' | 'treeSize' | 'rootHash'>): string {
  const { origin, treeSize, rootHash } = checkpoint;
  if (origin === '' || origin.includes('\n')) throw new MalformedCheckpointError('origin: must be one non-empty line');
  if (!Number.isSafeInteger(treeSize) || treeSize < 0)
    throw new MalformedCheckpointError(`tree size ${treeSize}: not a non-negative integer`);
  if (rootHash.length !== ROOT_HASH_BYTES)
    throw new MalformedCheckpointError(`root hash: ${rootHash.length} bytes, not ${ROOT_HASH_BYTES}`);
  return `${origin}\n${treeSize}\n${rootHash.toString('base64')}\n`;
}

export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new MalformedCheckpointError('checkpoint: does not end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new MalformedCheckpointError(`checkpoint: ${lines.length} lines, at least 3 expected`);
  const empty = lines.findIndex((line) => line === '');
  if (empty >= 0) throw new MalformedCheckpointError(`checkpoint line ${empty + 1}: empty`);
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]];
  // No leading zeroes: one tree size has one spelling, so equal checkpoints are equal bytes.
  if (!/^(0|[1-9][0-9]*)$/.test(size))
    throw new MalformedCheckpointError(`checkpoint line 2: tree size ${JSON.stringify(size)} is not a decimal without leading zeroes`);
  const treeSize = Number(size);
  if (!Number.isSafeInteger(treeSize)) throw new MalformedCheckpointError(`checkpoint line 2: tree size ${size} is too large`);
  const rootHash = decodeStandardBase64(root);
  if (rootHash === undefined) throw new MalformedCheckpointError('checkpoint line 3: the root hash is not standard base64');
  if (rootHash.length !== ROOT_HASH_BYTES)
    throw new MalformedCheckpointError(`checkpoint line 3: the root hash is ${rootHash.length} bytes, not ${ROOT_HASH_BYTES}`);
  return { origin, treeSize, rootHash, extensions };
}

/** The signed checkpoint, as served and exported. */
export function signCheckpoint(checkpoint: Pick<Checkpoint, 'origin' | 'treeSize' | 'rootHash'>, signer: SignerKey): string {
  return signNote(formatCheckpoint(checkpoint), signer);
}

/** Verifies the note with the key, then parses its text as a checkpoint. */
export function openCheckpoint(note: string | Uint8Array, verifier: VerifierKey): { checkpoint: Checkpoint; note: OpenedNote } {
  const opened = openNote(note, verifier);
  return { checkpoint: parseCheckpoint(opened.text), note: opened };
}
