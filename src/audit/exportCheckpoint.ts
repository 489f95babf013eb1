// An export's checkpoints against the tree over its events: the manifest's own (size = count, same root), and an
// earlier one an auditor kept (the root of the file's first treeSize events), each with its signature checked.
import { checkSignature, describeSignature, keyText, type SignatureCheck } from './checkpointSignature.js';
import type { ExportManifest } from './exportFile.js';
import type { MerkleTree } from './merkle.js';
import { parseVerifierKey, type VerifierKey } from './signedNote.js';

export interface ExportCheckpointOptions {
  /** The ledger's published key; without it the manifest's own `verifierKey` is used (and the report says so). */
  readonly verifierKey?: VerifierKey | undefined;
  /** A signed checkpoint taken earlier, whose events must be the file's first ones. */
  readonly earlier?: string | undefined;
}

export interface ExportCheckpointCheck {
  /** `absent`: an export written before checkpoints; nothing to check, and not a failure unless a key was given. */
  readonly status: 'verified' | 'failed' | 'absent';
  readonly origin: string | null;
  readonly treeSize: number | null;
  readonly rootHash: string | null;
  readonly signature: {
    readonly verified: boolean;
    readonly key: string | null;
    readonly keySource: SignatureCheck['keySource'];
    readonly problem: string | null;
  } | null;
  readonly problems: readonly string[];
}

const ABSENT: ExportCheckpointCheck = { status: 'absent', origin: null, treeSize: null, rootHash: null, signature: null, problems: [] };

/** The key to check with: the auditor's, else the manifest's (or why there is none). */
function keyFor(
  manifest: Pick<ExportManifest, 'verifierKey'> | undefined,
  given: VerifierKey | undefined,
): { key: VerifierKey | undefined; source: 'given' | 'manifest'; missing: string } {
  if (given !== undefined) return { key: given, source: 'given', missing: '' };
  if (typeof manifest?.verifierKey !== 'string')
    return { key: undefined, source: 'manifest', missing: 'the manifest names no verifier key; pass --verifier-key' };
  try {
    return { key: parseVerifierKey(manifest.verifierKey), source: 'manifest', missing: '' };
  } catch (error) {
    return {
      key: undefined,
      source: 'manifest',
      missing: `the manifest's verifierKey is malformed (${(error as Error).message}); pass --verifier-key`,
    };
  }
}

/** One checkpoint against the tree's first treeSize leaves; `exactSize` when it must cover the whole file. */
function checkAgainstTree(note: string, tree: MerkleTree, key: ReturnType<typeof keyFor>, exactSize: boolean): ExportCheckpointCheck {
  const signature = checkSignature(note, key.key, key.source, key.missing);
  const problems: string[] = signature.problem === undefined ? [] : [signature.problem];
  const checkpoint = signature.checkpoint;
  if (checkpoint !== undefined) {
    if (exactSize && checkpoint.treeSize !== tree.size)
      problems.push(`the checkpoint's tree size is ${checkpoint.treeSize} but the file holds ${tree.size} events`);
    else if (checkpoint.treeSize > tree.size)
      problems.push(`the checkpoint covers ${checkpoint.treeSize} events but the file holds only ${tree.size}`);
    else if (!tree.root(checkpoint.treeSize).equals(checkpoint.rootHash)) {
      problems.push(
        `the root of the file's first ${checkpoint.treeSize} events is not the checkpoint's root: those events are not the ones it covers`,
      );
    }
  }
  return {
    status: problems.length === 0 ? 'verified' : 'failed',
    origin: checkpoint?.origin ?? null,
    treeSize: checkpoint?.treeSize ?? null,
    rootHash: checkpoint?.rootHash.toString('base64') ?? null,
    signature: { verified: signature.verified, key: signature.key, keySource: signature.keySource, problem: signature.problem ?? null },
    problems,
  };
}

export function checkExportCheckpoints(
  manifest: Pick<ExportManifest, 'checkpoint' | 'verifierKey'> | undefined,
  tree: MerkleTree,
  options: ExportCheckpointOptions,
): { checkpoint: ExportCheckpointCheck; earlier: ExportCheckpointCheck | null } {
  const key = keyFor(manifest, options.verifierKey);
  let checkpoint: ExportCheckpointCheck;
  if (typeof manifest?.checkpoint === 'string') checkpoint = checkAgainstTree(manifest.checkpoint, tree, key, true);
  else if (options.verifierKey !== undefined) {
    const problem =
      `the manifest carries no checkpoint (an export written before checkpoints): the key ${keyText(options.verifierKey)} ` +
      `cannot vouch for it`;
    checkpoint = { ...ABSENT, status: 'failed', problems: [problem] };
  } else checkpoint = ABSENT;
  const earlier = options.earlier === undefined ? null : checkAgainstTree(options.earlier, tree, key, false);
  return { checkpoint, earlier };
}

/** The checks as the CLI prints them. */
export function exportCheckpointLines(report: { checkpoint: ExportCheckpointCheck; earlier: ExportCheckpointCheck | null }): string[] {
  const lines: string[] = [];
  const describe = (label: string, check: ExportCheckpointCheck): void => {
    if (check.status === 'absent') {
      lines.push(`${label}: no checkpoint (an export written before checkpoints)`);
      return;
    }
    lines.push(
      check.treeSize === null ? `${label}: unreadable` : `${label}: ${check.origin}, tree size ${check.treeSize}, root ${check.rootHash}`,
    );
    if (check.signature !== null) {
      const signature = describeSignature({ ...check.signature, problem: check.signature.problem ?? undefined, checkpoint: undefined });
      const caveat =
        check.signature.verified && check.signature.keySource === 'manifest'
          ? " (this shows the file is as signed, not who signed it: pass --verifier-key with the ledger's published key)"
          : '';
      lines.push(`${label} signature: ${signature}${caveat}`);
    }
    for (const problem of check.problems) if (problem !== check.signature?.problem) lines.push(`${label}: ${problem}`);
    if (check.status === 'verified')
      lines.push(`${label}: the file's ${label === 'checkpoint' ? '' : 'first '}${check.treeSize} events have its root`);
  };
  describe('checkpoint', report.checkpoint);
  if (report.earlier !== null) describe('earlier checkpoint', report.earlier);
  return lines;
}
