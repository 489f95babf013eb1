// What an auditor hands the checks: a checkpoint file, a verifier key (text or file), or the ledger's own key read
// without ever making one; and the signature check that says in words which key was used and what failed.
import { existsSync, readFileSync } from 'node:fs';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { auditIdentityOf, type AuditIdentity } from './checkpoints.js';
import { formatKeyId, InvalidSignatureError, MalformedNoteError, openNote, parseVerifierKey, UnknownKeyError } from './signedNote.js';
import type { VerifierKey } from './signedNote.js';
import { readSigningKeyFile } from './signingKeyFile.js';

/** Where the key a signature was checked with came from. */
export type KeySource = 'given' | 'ledger' | 'manifest';

const KEY_SOURCE_WORDS: Record<KeySource, string> = {
  given: 'the given key',
  ledger: "the ledger's own key",
  manifest: "the key the export's manifest names",
};

export interface SignatureCheck {
  readonly verified: boolean;
  /** `<name>+<key id>` of the key used; null when no key was known. */
  readonly key: string | null;
  readonly keySource: KeySource;
  /** What the note says: verified when `verified`, otherwise only as claimed (undefined when unreadable). */
  readonly checkpoint: Checkpoint | undefined;
  readonly problem: string | undefined;
}

/** A user-facing input error: the CLI prints the message alone. */
export class CheckpointInputError extends Error {
  override readonly name = 'CheckpointInputError';
}

/**
 * The signed note in a file: the note text itself (as GET /audit/checkpoint serves it), or a JSON object carrying it
 * as `note` or `checkpoint` (a saved JSON answer, an export manifest).
 */
export function readCheckpointFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CheckpointInputError(`--checkpoint ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (!text.trimStart().startsWith('{')) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (_error) {
    throw new CheckpointInputError(`--checkpoint ${path}: starts like JSON but is not JSON`);
  }
  const fields = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const note = typeof fields.note === 'string' ? fields.note : fields.checkpoint;
  if (typeof note !== 'string')
    throw new CheckpointInputError(`--checkpoint ${path}: a JSON file must carry the signed note as "note" or "checkpoint"`);
  return note;
}

/** A verifier key given on the command line: the vkey text itself, or the path of a file holding it. */
export function readVerifierKey(value: string): VerifierKey {
  const asText = value.trim();
  try {
    return parseVerifierKey(asText);
  } catch (textError) {
    if (!existsSync(value)) {
      throw new CheckpointInputError(
        `--verifier-key: neither a verifier key (<name>+<key id>+<base64 key>) nor a file: ${(textError as Error).message}`,
      );
    }
  }
  let content: string;
  try {
    content = readFileSync(value, 'utf8').trim();
  } catch (error) {
    throw new CheckpointInputError(`--verifier-key ${value}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return parseVerifierKey(content);
  } catch (error) {
    throw new CheckpointInputError(`--verifier-key ${value}: the file does not hold a verifier key: ${(error as Error).message}`);
  }
}

/** The ledger's identity from its key file, or undefined when there is none: a check never makes a key. */
export function readLedgerIdentity(config: {
  readonly auditSigningKeyFile: string;
  readonly ledgerId: string | undefined;
}): AuditIdentity | undefined {
  if (!existsSync(config.auditSigningKeyFile)) return undefined;
  const identity = auditIdentityOf(readSigningKeyFile(config.auditSigningKeyFile));
  const expected = config.ledgerId === undefined ? undefined : `funding-ledger/${config.ledgerId}`;
  if (expected !== undefined && identity.origin !== expected) {
    throw new CheckpointInputError(
      `${config.auditSigningKeyFile}: holds the key of ${JSON.stringify(identity.origin)}, not of ${JSON.stringify(expected)} (LEDGER_ID)`,
    );
  }
  return identity;
}

export const keyText = (key: VerifierKey): string => `${key.name}+${formatKeyId(key.keyId)}`;

/** The checkpoint a note claims, without its signature checked: to say what an unverifiable note said. */
function claimedCheckpoint(note: string): Checkpoint | undefined {
  const split = note.lastIndexOf('\n\n');
  try {
    return split < 0 ? undefined : parseCheckpoint(note.slice(0, split + 1));
  } catch (_error) {
    return undefined;
  }
}

/** Opens the note with `key`, naming the key and the problem in words; never throws over a bad note or key. */
export function checkSignature(
  note: string,
  key: VerifierKey | undefined,
  keySource: KeySource,
  noKeyReason = 'no verifier key is known',
): SignatureCheck {
  if (key === undefined)
    return {
      verified: false,
      key: null,
      keySource,
      checkpoint: claimedCheckpoint(note),
      problem: `the signature cannot be checked: ${noKeyReason}`,
    };
  const used = { key: keyText(key), keySource };
  try {
    const opened = openNote(note, key);
    return { verified: true, ...used, checkpoint: parseCheckpoint(opened.text), problem: undefined };
  } catch (error) {
    const words = KEY_SOURCE_WORDS[keySource];
    let problem: string;
    if (error instanceof UnknownKeyError) problem = `the checkpoint carries no signature by ${words} ${used.key}`;
    else if (error instanceof InvalidSignatureError)
      problem = `the signature by ${words} ${used.key} does not verify: the checkpoint was altered after signing`;
    else if (error instanceof MalformedNoteError) problem = `the checkpoint is not a signed note: ${error.message}`;
    else problem = `the checkpoint cannot be read: ${(error as Error).message}`;
    return { verified: false, ...used, checkpoint: claimedCheckpoint(note), problem };
  }
}

/** "verified with the given key funding-ledger/x+0123abcd", or the problem. */
export function describeSignature(check: SignatureCheck): string {
  return check.verified ? `verified with ${KEY_SOURCE_WORDS[check.keySource]} ${check.key}` : `NOT verified: ${check.problem}`;
}
