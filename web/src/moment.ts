// Moments of the ledger's history as the page names them: a position ("42", or "commit-prepare" from EventStoreDB) or an ISO 8601 instant, as /totals?asOf= takes them.

const POSITION = /^(0|[1-9][0-9]{0,19})(?:-(0|[1-9][0-9]{0,19}))?$/;
/** The API's form (RFC 3339 with an offset); it checks the calendar itself, the page only keeps nonsense out of requests. */
const INSTANT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})$/;

export function isPosition(text: string): boolean {
  return POSITION.test(text);
}

/** A moment read from the address; anything else is dropped, so a mangled link falls back to the live view. */
export function momentOf(text: string | null): string | undefined {
  if (text === null) return undefined;
  if (isPosition(text)) return text;
  return INSTANT.test(text) && !Number.isNaN(Date.parse(text)) ? text : undefined;
}

/**
 * Where a position stands on the slider: its commit part. On the embedded store positions count events (1, 2, 3…),
 * so each step is one event; on EventStoreDB they are offsets in its log, and a step may pass over none or several.
 */
export function sliderValueOf(position: string): number {
  return Number(position.split('-')[0]);
}

/** The position just before this one, from which /events?after= lists this one's event first; undefined for "0". */
export function positionBefore(position: string): string | undefined {
  if (!isPosition(position)) return undefined;
  const [commit = '0', prepare] = position.split('-');
  if (prepare === undefined) return commit === '0' ? undefined : (BigInt(commit) - 1n).toString();
  return prepare === '0' ? undefined : `${commit}-${(BigInt(prepare) - 1n).toString()}`;
}
