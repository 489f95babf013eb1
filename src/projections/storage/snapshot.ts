// Projection snapshots: every projection's state and the position it reflects, saved so a restart need not replay.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { JournalTree, type StoredJournalTree } from '../../audit/journalTree.js';
import type { EventStore, Position } from '../../store/port.js';
import { comparePositions } from '../../store/position.js';
import { PROJECTIONS } from '../runtime/all.js';
import { writeChecksummedFile } from './checksummedFile.js';
import { digestOf } from './digest.js';
import type { Projection } from '../runtime/projection.js';

/** Bump when any projection's state shape changes: an older snapshot is then ignored and rebuilt. */
export const SNAPSHOT_FORMAT = 7;

export interface SnapshotContents {
  readonly position: Position;
  /** The event at `position`, to tell a snapshot of this store from one of another (or a truncated) store. */
  readonly lastEvent: { readonly stream: string; readonly revision: bigint; readonly hash: string };
  readonly states: ReadonlyMap<string, unknown>;
  /** The journal's Merkle tree at `position`: kept whole, so a restart re-hashes no event. */
  readonly journal: JournalTree;
  /** digestOf(states): what `ledger replay` compares its rebuild with. */
  readonly stateDigest: string;
  readonly savedAt: string;
}

interface SnapshotFile extends Omit<SnapshotContents, 'states' | 'journal'> {
  readonly format: number;
  readonly states: Map<string, unknown>;
  readonly journal: StoredJournalTree;
}

/** Projection states in the form saved: each projection's own (see Projection.snapshot). */
function toStorable(states: ReadonlyMap<string, unknown>): Map<string, unknown> {
  return new Map([...states].map(([name, state]) => [name, formOf(name)?.store(state) ?? state]));
}

function fromStorable(stored: ReadonlyMap<string, unknown>): Map<string, unknown> {
  return new Map([...stored].map(([name, state]) => [name, formOf(name)?.restore(state) ?? state]));
}

/** A state no projection claims is kept as it is: the runner refuses a snapshot that lacks one of its own. */
function formOf(name: string): Projection<unknown>['snapshot'] | undefined {
  return PROJECTIONS.find((projection) => projection.name === name)?.snapshot;
}

export function snapshotPath(dataDir: string): string {
  return join(dataDir, 'snapshots', 'projections.v8');
}

/**
 * Writes the snapshot atomically: a temp file, fsync, rename. The file is the v8 serialisation (which keeps shared
 * references, Maps, Sets and bigints) followed by its SHA-256, so a damaged file is recognised and ignored.
 */
export function saveSnapshot(
  dataDir: string,
  contents: Omit<SnapshotContents, 'stateDigest' | 'savedAt'>,
  now = new Date(),
): SnapshotContents {
  const stateDigest = digestOf(contents.states);
  const file: SnapshotFile = {
    format: SNAPSHOT_FORMAT,
    position: contents.position,
    lastEvent: contents.lastEvent,
    states: toStorable(contents.states),
    journal: contents.journal.toStored(),
    stateDigest,
    savedAt: now.toISOString(),
  };
  const body = serialize(file);
  const path = snapshotPath(dataDir);
  // Owner-only, like every file under DATA_DIR (README "Durability").
  mkdirSync(join(dataDir, 'snapshots'), { recursive: true, mode: 0o700 });
  // A full disk, say: the previous snapshot stays as it was, and the partial one goes, with the space it took.
  writeChecksummedFile(path, body, { sync: true });
  return { ...contents, stateDigest, savedAt: file.savedAt };
}

export type SnapshotVerdict =
  { readonly usable: true; readonly snapshot: SnapshotContents } | { readonly usable: false; readonly reason: string };

/** The snapshot file's contents when its bytes are intact and its format known; otherwise why not. */
function readSnapshotFile(dataDir: string): { readonly file: SnapshotFile } | { readonly reason: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(snapshotPath(dataDir));
  } catch (_error) {
    return { reason: 'no snapshot' };
  }
  if (bytes.length < 33) return { reason: 'the snapshot file is truncated' };
  const body = bytes.subarray(0, bytes.length - 32);
  if (
    !createHash('sha256')
      .update(body)
      .digest()
      .equals(bytes.subarray(bytes.length - 32))
  ) {
    return { reason: 'the snapshot is corrupt (its checksum does not match)' };
  }
  let file: SnapshotFile;
  try {
    file = deserialize(body) as SnapshotFile;
  } catch (error) {
    return { reason: `the snapshot cannot be read: ${(error as Error).message}` };
  }
  if (file.format !== SNAPSHOT_FORMAT) return { reason: `the snapshot has format ${file.format}, this version reads ${SNAPSHOT_FORMAT}` };
  return { file };
}

function journalOf(file: SnapshotFile): JournalTree | { readonly reason: string } {
  try {
    return JournalTree.fromStored(file.journal);
  } catch (error) {
    return { reason: `the snapshot's journal tree cannot be used: ${(error as Error).message}` };
  }
}

/**
 * The journal tree a snapshot kept, whatever the store holds now: what `ledger audit verify --checkpoint` compares a
 * store with when a checkpoint vouches for the tree (its root), to name the first leaf where the two part.
 */
export function readSnapshotJournal(dataDir: string): JournalTree | { readonly reason: string } {
  const read = readSnapshotFile(dataDir);
  return 'reason' in read ? read : journalOf(read.file);
}

/** Reads the snapshot and checks it: intact bytes, known format, and its last event still in the store as recorded. */
export async function loadSnapshot(dataDir: string, store: EventStore): Promise<SnapshotVerdict> {
  const read = readSnapshotFile(dataDir);
  if ('reason' in read) return { usable: false, reason: read.reason };
  const { file } = read;
  const journal = journalOf(file);
  if (!(journal instanceof JournalTree)) return { usable: false, reason: journal.reason };
  let found = false;
  for await (const event of store.readStream(file.lastEvent.stream, { fromRevision: file.lastEvent.revision, limit: 1 })) {
    found =
      event.revision === file.lastEvent.revision &&
      event.metadata.hash === file.lastEvent.hash &&
      comparePositions(event.position, file.position) === 0 &&
      journal.endsWith(event);
  }
  if (!found) return { usable: false, reason: 'the snapshot is stale: its last event is not in this store as recorded' };
  const states = fromStorable(file.states);
  return {
    usable: true,
    snapshot: { position: file.position, lastEvent: file.lastEvent, states, journal, stateDigest: file.stateDigest, savedAt: file.savedAt },
  };
}

export function removeSnapshot(dataDir: string): void {
  rmSync(snapshotPath(dataDir), { force: true });
}
