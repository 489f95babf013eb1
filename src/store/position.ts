// Global positions: ordering, and the decimal-string form they take at the edges (JSON, headers, query strings).
import type { Position } from './port.js';

export function positionOf(sequence: bigint): Position {
  return { commit: sequence, prepare: sequence };
}

export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** The text of a position at the edges, "0" before the first event. */
export function positionText(position: Position | undefined): string {
  return position === undefined ? '0' : formatPosition(position);
}

/** "42" when commit and prepare agree (always, on the embedded store); "42-40" otherwise. */
export function formatPosition(position: Position): string {
  return position.commit === position.prepare ? position.commit.toString() : `${position.commit.toString()}-${position.prepare.toString()}`;
}

const POSITION_PATTERN = /^(0|[1-9][0-9]{0,19})(?:-(0|[1-9][0-9]{0,19}))?$/;
const MAX_U64 = (1n << 64n) - 1n;

/** The inverse of formatPosition; undefined for anything that is not a valid position. */
export function parsePosition(text: string): Position | undefined {
  const match = POSITION_PATTERN.exec(text);
  if (!match) return undefined;
  const commit = BigInt(match[1] as string);
  const prepare = match[2] === undefined ? commit : BigInt(match[2]);
  if (commit > MAX_U64 || prepare > MAX_U64) return undefined;
  return { commit, prepare };
}
