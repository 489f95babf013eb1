// The offline audit file: JSON Lines, one event per line in position order, then a manifest line.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { EventStore, RecordedEvent } from '../store/port.js';
import { formatPosition, parsePosition } from '../store/position.js';
import { signCheckpoint } from './checkpoint.js';
import type { AuditIdentity } from './checkpoints.js';
import { checkExportCheckpoints, type ExportCheckpointCheck, type ExportCheckpointOptions } from './exportCheckpoint.js';
import { leafOf } from './journalTree.js';
import { MerkleTree } from './merkle.js';
import { ChainVerifier, type VerifyReport } from './verify.js';

// Still /1: the checkpoint fields are additions a reader of /1 ignores, and an export without them still verifies.
export const EXPORT_FORMAT = 'funding-ledger-audit-export/1';

/** The last line: enough to check the file alone. `sha256` covers every event line, each with its newline. */
export interface ExportManifest {
  readonly format: typeof EXPORT_FORMAT;
  readonly count: number;
  readonly lastPosition: string | null;
  readonly chainHeads: Record<string, string>;
  readonly sha256: string;
  /** The ledger's signed checkpoint of the tree over exactly the exported events (tree size = count); absent in older exports. */
  readonly checkpoint?: string;
  /** The vkey of the key that signed it; what the file vouches for itself with, unless the auditor brings the ledger's key. */
  readonly verifierKey?: string;
}

function eventLine(event: RecordedEvent): string {
  return `${JSON.stringify({
    position: formatPosition(event.position),
    stream: event.stream,
    revision: event.revision.toString(),
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  })}\n`;
}

/**
 * Streams the whole journal as export lines, then the manifest with the checkpoint of the exported events, signed by
 * `identity`. Holds the chain heads and the Merkle tree's hashes (about 33 bytes an event), never the events.
 */
export async function* exportLines(
  store: EventStore,
  identity: Pick<AuditIdentity, 'origin' | 'signer' | 'verifierKeyText'>,
): AsyncGenerator<string> {
  const hash = createHash('sha256');
  const tree = new MerkleTree();
  const heads = new Map<string, string>();
  let count = 0;
  let lastPosition: string | null = null;
  for await (const event of store.readAll()) {
    const line = eventLine(event);
    hash.update(line);
    tree.append(leafOf(event));
    heads.set(event.stream, typeof event.metadata.hash === 'string' ? event.metadata.hash : '');
    count += 1;
    lastPosition = formatPosition(event.position);
    yield line;
  }
  const chainHeads = Object.fromEntries([...heads].sort(([a], [b]) => (a < b ? -1 : 1)));
  const checkpoint = signCheckpoint({ origin: identity.origin, treeSize: count, rootHash: tree.root() }, identity.signer);
  const manifest: ExportManifest = {
    format: EXPORT_FORMAT,
    count,
    lastPosition,
    chainHeads,
    sha256: hash.digest('hex'),
    checkpoint,
    verifierKey: identity.verifierKeyText,
  };
  yield `${JSON.stringify(manifest)}\n`;
}

/** Every line is a JSON object; a broken one is named by its line number, as an auditor needs to find it. */
function parseLine(line: string, lineNumber: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new Error(`line ${lineNumber} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`line ${lineNumber} is not a JSON object`);
  return value as Record<string, unknown>;
}

function recordedEventOf(line: string, lineNumber: number): RecordedEvent {
  const raw = parseLine(line, lineNumber);
  const position = typeof raw.position === 'string' ? parsePosition(raw.position) : undefined;
  const revision = typeof raw.revision === 'string' && /^(0|[1-9][0-9]*)$/.test(raw.revision) ? BigInt(raw.revision) : undefined;
  if (position === undefined || revision === undefined || typeof raw.stream !== 'string' || typeof raw.type !== 'string') {
    throw new Error(`line ${lineNumber} is not an event of this export format`);
  }
  return {
    id: String(raw.id),
    stream: raw.stream,
    revision,
    position,
    type: raw.type,
    data: (raw.data ?? {}) as Record<string, unknown>,
    metadata: (raw.metadata ?? {}) as Record<string, unknown>,
  };
}

/** Reads the events of an export file (the manifest line excluded), in file order. */
export async function* eventsOfExport(
  path: string,
  onManifest?: (manifest: ExportManifest, sha256: string) => void,
): AsyncGenerator<RecordedEvent> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  const hash = createHash('sha256');
  let pending: string | undefined;
  let lineNumber = 0;
  for await (const line of lines) {
    if (pending !== undefined) {
      hash.update(`${pending}\n`);
      yield recordedEventOf(pending, lineNumber);
    }
    pending = line;
    lineNumber += 1;
  }
  if (pending === undefined) throw new Error(`${path} is empty: an export ends with a manifest line`);
  const manifest = parseLine(pending, lineNumber) as Partial<ExportManifest>;
  if (manifest.format !== EXPORT_FORMAT) throw new Error(`${path}: the last line is not a ${EXPORT_FORMAT} manifest`);
  onManifest?.(manifest as ExportManifest, hash.digest('hex'));
}

export interface ExportVerifyReport extends Omit<VerifyReport, 'chainHeads'> {
  readonly manifestProblems: string[];
  /** The manifest's checkpoint against the file's events. */
  readonly checkpoint: ExportCheckpointCheck;
  /** An earlier checkpoint (`--checkpoint`) against the file's first events; null when none was given. */
  readonly earlier: ExportCheckpointCheck | null;
}

/**
 * Checks an export file alone: every chain, then the manifest's count, last position, chain heads and digest, then
 * its checkpoint (and an earlier one, if given) against the tree over the file's events.
 */
export async function verifyExportFile(path: string, options: ExportCheckpointOptions = {}): Promise<ExportVerifyReport> {
  const verifier = new ChainVerifier();
  const tree = new MerkleTree();
  let manifest: ExportManifest | undefined;
  let digest = '';
  for await (const event of eventsOfExport(path, (m, d) => ((manifest = m), (digest = d)))) {
    verifier.check(event);
    tree.append(leafOf(event));
  }
  const report = verifier.report();
  const problems: string[] = [];
  if (manifest === undefined) problems.push('no manifest');
  else {
    const m: ExportManifest = manifest;
    if (m.count !== report.events) problems.push(`manifest count ${m.count} but the file holds ${report.events} events`);
    if ((m.lastPosition ?? undefined) !== report.lastPosition)
      problems.push(`manifest lastPosition ${m.lastPosition} but the last event is at ${report.lastPosition}`);
    if (m.sha256 !== digest) problems.push('manifest sha256 does not match the event lines');
    const heads = Object.fromEntries(report.chainHeads);
    const streams = new Set([...Object.keys(heads), ...Object.keys(m.chainHeads)]);
    const differing = [...streams].filter((stream) => heads[stream] !== m.chainHeads[stream]);
    if (differing.length > 0) problems.push(`chain heads differ for ${differing.length} stream(s), first ${differing.sort()[0]}`);
  }
  const { checkpoint, earlier } = checkExportCheckpoints(manifest, tree, options);
  const checkpointsOk = checkpoint.status !== 'failed' && (earlier === null || earlier.status === 'verified');
  const { chainHeads: _heads, ...rest } = report;
  return { ...rest, ok: report.ok && problems.length === 0 && checkpointsOk, manifestProblems: problems, checkpoint, earlier };
}
