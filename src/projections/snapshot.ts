// Projection snapshots: every projection's state and the position it reflects, saved so a restart need not replay.
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { EventStore, Position } from '../store/port.js';
import { comparePositions } from '../store/position.js';
import type { AnnouncementsState } from './announcements.js';
import { Dictionary, float64Column, uint16Column, uint32Column, uint8Column } from './columns.js';
import { digestOf } from './digest.js';
import { RateBook } from './totals/rateBook.js';
import type { Cell, TotalsState } from './totals/state.js';

/** Bump when any projection's state shape changes: an older snapshot is then ignored and rebuilt. */
export const SNAPSHOT_FORMAT = 2;

export interface SnapshotContents {
  readonly position: Position;
  /** The event at `position`, to tell a snapshot of this store from one of another (or a truncated) store. */
  readonly lastEvent: { readonly stream: string; readonly revision: bigint; readonly hash: string };
  readonly states: ReadonlyMap<string, unknown>;
  /** digestOf(states): what `ledger replay` compares its rebuild with. */
  readonly stateDigest: string;
  readonly savedAt: string;
}

interface SnapshotFile extends Omit<SnapshotContents, 'states'> {
  readonly format: number;
  readonly states: Map<string, unknown>;
}

export function snapshotPath(dataDir: string): string {
  return join(dataDir, 'snapshots', 'projections.v8');
}

/** The announcements index as saved: columns as typed arrays (copied as memory), dictionaries as their values. */
interface StoredAnnouncements {
  readonly ids: string[];
  readonly columns: Record<'revisions' | 'programmes' | 'funders' | 'days' | 'places', Uint32Array> & { statuses: Uint8Array };
  readonly dictionaries: Record<'programmes' | 'funders' | 'places', string[]>;
}

interface StoredTotals {
  readonly cells: Cell[];
  /** null when they are the announcements' ids, slot for slot (as they are in any ledger the service wrote). */
  readonly ids: string[] | null;
  readonly columns: Record<'days' | 'firstRow' | 'rowCells', Uint32Array> & Record<'currencies' | 'split' | 'rowCount', Uint16Array> & { rowMinors: Float64Array };
  readonly currencies: string[];
  readonly rates: ReturnType<RateBook['entries']>;
}

function storeAnnouncements(state: AnnouncementsState): StoredAnnouncements {
  const { dictionaries } = state;
  return {
    ids: state.ids,
    columns: {
      revisions: state.revisions.toArray(),
      statuses: state.statuses.toArray(),
      programmes: state.programmes.toArray(),
      funders: state.funders.toArray(),
      days: state.days.toArray(),
      places: state.places.toArray(),
    },
    dictionaries: { programmes: dictionaries.programmes.values, funders: dictionaries.funders.values, places: dictionaries.places.values },
  };
}

function restoreAnnouncements(stored: StoredAnnouncements): AnnouncementsState {
  const { columns, dictionaries } = stored;
  return {
    ids: stored.ids,
    slots: new Map(stored.ids.map((id, slot) => [id, slot])),
    revisions: uint32Column(columns.revisions),
    statuses: uint8Column(columns.statuses),
    programmes: uint32Column(columns.programmes),
    funders: uint32Column(columns.funders),
    days: uint32Column(columns.days),
    places: uint32Column(columns.places),
    dictionaries: { programmes: new Dictionary(dictionaries.programmes), funders: new Dictionary(dictionaries.funders), places: new Dictionary(dictionaries.places) },
  };
}

const sameIds = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((id, slot) => id === b[slot]);

/** The conversion caches are dropped: the next query that converts rebuilds them. */
function storeTotals(state: TotalsState, announcementIds: readonly string[] | undefined): StoredTotals {
  const c = state.contributions;
  return {
    cells: state.cells,
    ids: announcementIds !== undefined && sameIds(c.ids, announcementIds) ? null : c.ids,
    columns: {
      days: c.days.toArray(),
      currencies: c.currencies.toArray(),
      split: c.split.toArray(),
      firstRow: c.firstRow.toArray(),
      rowCount: c.rowCount.toArray(),
      rowCells: c.rowCells.toArray(),
      rowMinors: c.rowMinors.toArray(),
    },
    currencies: state.currencies.values,
    rates: state.rates.entries(),
  };
}

function restoreTotals(stored: StoredTotals, announcementIds: readonly string[] | undefined): TotalsState {
  // Shared strings, separate arrays: each projection appends to its own.
  const ids = stored.ids ?? announcementIds?.slice();
  if (ids === undefined) throw new Error('the snapshot names the announcements\' ids for the totals but has no announcements');
  const rates = new RateBook();
  for (const entry of stored.rates) rates.record(entry.base, entry.quote, entry.effectiveOn, entry.rate);
  const { columns } = stored;
  return {
    cells: stored.cells,
    cellNumbers: new Map(stored.cells.map((cell, number) => [cell.key, number])),
    contributions: {
      ids,
      slots: new Map(ids.map((id, slot) => [id, slot])),
      days: uint32Column(columns.days),
      currencies: uint16Column(columns.currencies),
      split: uint16Column(columns.split),
      firstRow: uint32Column(columns.firstRow),
      rowCount: uint16Column(columns.rowCount),
      rowCells: uint32Column(columns.rowCells),
      rowMinors: float64Column(columns.rowMinors),
    },
    currencies: new Dictionary(stored.currencies),
    rates,
    conversions: new Map(),
  };
}

/** Projection states in the form saved: plain data that v8 serialisation carries as it is. */
function toStorable(states: ReadonlyMap<string, unknown>): Map<string, unknown> {
  const announcements = states.get('announcements') as AnnouncementsState | undefined;
  return new Map(
    [...states].map(([name, state]) => {
      if (name === 'announcements') return [name, storeAnnouncements(state as AnnouncementsState)];
      if (name === 'totals') return [name, storeTotals(state as TotalsState, announcements?.ids)];
      return [name, state];
    }),
  );
}

function fromStorable(stored: ReadonlyMap<string, unknown>): Map<string, unknown> {
  const announcements = stored.has('announcements') ? restoreAnnouncements(stored.get('announcements') as StoredAnnouncements) : undefined;
  return new Map(
    [...stored].map(([name, state]) => {
      if (name === 'announcements') return [name, announcements];
      if (name === 'totals') return [name, restoreTotals(state as StoredTotals, announcements?.ids)];
      return [name, state];
    }),
  );
}

/**
 * Writes the snapshot atomically: a temp file, fsync, rename. The file is the v8 serialisation (which keeps shared
 * references, Maps, Sets and bigints) followed by its SHA-256, so a damaged file is recognised and ignored.
 */
export function saveSnapshot(dataDir: string, contents: Omit<SnapshotContents, 'stateDigest' | 'savedAt'>, now = new Date()): SnapshotContents {
  const stateDigest = digestOf(contents.states);
  const file: SnapshotFile = {
    format: SNAPSHOT_FORMAT,
    position: contents.position,
    lastEvent: contents.lastEvent,
    states: toStorable(contents.states),
    stateDigest,
    savedAt: now.toISOString(),
  };
  const body = serialize(file);
  const checksum = createHash('sha256').update(body).digest();
  const path = snapshotPath(dataDir);
  mkdirSync(join(dataDir, 'snapshots'), { recursive: true });
  const temp = `${path}.${randomUUID()}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, body);
    writeSync(fd, checksum);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  return { ...contents, stateDigest, savedAt: file.savedAt };
}

export type SnapshotVerdict = { readonly usable: true; readonly snapshot: SnapshotContents } | { readonly usable: false; readonly reason: string };

/** Reads the snapshot and checks it: intact bytes, known format, and its last event still in the store as recorded. */
export async function loadSnapshot(dataDir: string, store: EventStore): Promise<SnapshotVerdict> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(snapshotPath(dataDir));
  } catch (_error) {
    return { usable: false, reason: 'no snapshot' };
  }
  if (bytes.length < 33) return { usable: false, reason: 'the snapshot file is truncated' };
  const body = bytes.subarray(0, bytes.length - 32);
  if (!createHash('sha256').update(body).digest().equals(bytes.subarray(bytes.length - 32))) {
    return { usable: false, reason: 'the snapshot is corrupt (its checksum does not match)' };
  }
  let file: SnapshotFile;
  try {
    file = deserialize(body) as SnapshotFile;
  } catch (error) {
    return { usable: false, reason: `the snapshot cannot be read: ${(error as Error).message}` };
  }
  if (file.format !== SNAPSHOT_FORMAT) return { usable: false, reason: `the snapshot has format ${file.format}, this version reads ${SNAPSHOT_FORMAT}` };
  let found = false;
  for await (const event of store.readStream(file.lastEvent.stream, { fromRevision: file.lastEvent.revision, limit: 1 })) {
    found = event.revision === file.lastEvent.revision && event.metadata.hash === file.lastEvent.hash && comparePositions(event.position, file.position) === 0;
  }
  if (!found) return { usable: false, reason: 'the snapshot is stale: its last event is not in this store as recorded' };
  const states = fromStorable(file.states);
  return { usable: true, snapshot: { position: file.position, lastEvent: file.lastEvent, states, stateDigest: file.stateDigest, savedAt: file.savedAt } };
}

export function removeSnapshot(dataDir: string): void {
  rmSync(snapshotPath(dataDir), { force: true });
}
