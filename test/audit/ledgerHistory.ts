// A ledger history for the audit tests, written through the real HTTP API at known times by two actors.
import { expectStatus, request } from '../support/ledger.js';
import {
  anExchangeRate,
  type Body,
  eur,
  theBalkansBorderTechnology,
  theProgrammes,
  theSummitSplit,
  theThirtyMillion,
  theThreeMillion,
} from '../support/scenarios.js';

/** A clock the test sets: recordedAt of the next write. */
export class Clock {
  constructor(private current: string) {}
  readonly now = (): string => this.current;
  set(iso: string): void {
    this.current = iso;
  }
}

/** recordedAt of the event at position n (1-based): one minute apart from 09:00 on 2 April 2025. */
export const recordedAtOf = (position: number): string => new Date(Date.UTC(2025, 3, 2, 9, position - 1)).toISOString();

export interface History {
  readonly thirty: string;
  readonly three: string;
  readonly balkans: string;
  /** Events written: positions 1 to `events`. */
  readonly events: number;
}

/**
 * Nine events, one a minute from 09:00, by "admin" unless said otherwise:
 * 1-2 the two programmes, 3 the £30m, 4 the £3m (clerk), 5 a GBP-EUR rate, 6 the £30m amended (split RS/XK),
 * 7 the £3m withdrawn (clerk), 8 a programme renamed, 9 a Balkans announcement sent with an Idempotency-Key.
 */
export async function writeHistory(baseUrl: string, keys: { admin: string; clerk: string }, clock: Clock): Promise<History> {
  let position = 0;
  const write = async (path: string, body: Body, key = keys.admin, headers: Record<string, string> = {}): Promise<Body> => {
    position += 1;
    clock.set(recordedAtOf(position));
    const reply = await request(baseUrl, 'POST', path, { key, body, headers });
    if (reply.status !== 200 && reply.status !== 201) expectStatus(reply, 201);
    if (reply.json.position !== undefined && reply.json.position !== String(position))
      throw new Error(`expected position ${position}, got ${reply.json.position}`);
    return reply.json as Body;
  };
  for (const programme of theProgrammes()) await write('/programmes', programme);
  const thirty = String((await write('/announcements', theThirtyMillion())).id);
  const three = String((await write('/announcements', theThreeMillion(), keys.clerk)).id);
  await write('/exchange-rates', anExchangeRate());
  await write(`/announcements/${thirty}/amendments`, {
    changes: {
      allocations: theSummitSplit(),
    },
    reason: 'split between Serbia and Kosovo',
  });
  await write(`/announcements/${three}/withdrawal`, { reason: 'announced twice' }, keys.clerk);
  await write('/programmes/cps-smuggling-prosecutions/rename', { name: 'CPS: prosecuting smugglers', reason: 'shorter name' });
  const balkans = theBalkansBorderTechnology({ amount: eur('2000000.00') });
  const balkansId = String((await write('/announcements', balkans, keys.admin, { 'idempotency-key': 'balkans-1' })).id);
  return { thirty, three, balkans: balkansId, events: position };
}
