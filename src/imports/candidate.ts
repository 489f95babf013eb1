// One announcement as read from an import file, before validation: the POST /announcements body it rebuilds.
import type { FlowCandidate } from './flowFile.js';
import type { RowProblem } from './problems.js';

export interface Candidate {
  readonly kind: 'announcement';
  /** Physical line of each row it came from, first row first: one per allocation in CSV, one in JSON Lines. */
  readonly lines: readonly number[];
  /** A POST /announcements body as far as the file gives one; validation decides what it is worth. */
  readonly body: Record<string, unknown>;
  /** What the export adds beside the body (`active` when absent), and the name to register an unknown programme with. */
  readonly status: unknown;
  readonly withdrawalReason: unknown;
  readonly programmeName: unknown;
  /** Problems found while rebuilding the body (rows of one announcement that disagree, an unknown column value). */
  readonly problems: readonly RowProblem[];
  /** Where a problem at a body path is reported: the row and column (CSV) or the line and path (JSON Lines). */
  locate(path: readonly PropertyKey[]): { line: number; field: string };
}

/** Rows that could not be read at all (wrong number of columns, not JSON). */
export interface Unreadable {
  readonly kind: 'unreadable';
  readonly problem: RowProblem;
}

export type FileItem = Candidate | FlowCandidate | Unreadable;
