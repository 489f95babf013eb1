// The digest of projection state: equal for equal meaning, different for any change in what the state says.
import { describe, expect, it } from 'vitest';
import { PROJECTIONS } from '../../src/projections/runtime/all.js';
import { digestOf } from '../../src/projections/storage/digest.js';
import type { IdempotentWrite } from '../../src/projections/models/idempotency.js';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { positionOf } from '../../src/store/position.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { EventLog, replay } from '../projections/events.js';
import { theThirtyMillionFields, theThreeMillionFields } from '../support/scenarios.js';

const THIRTY = '3f0c9d52-7a4e-4b1a-9c2d-5e8f6a7b8c90';
const THREE = '8d2e4f60-1b3c-4d5e-8f7a-9b0c1d2e3f45';

const thirtyMillion = theThirtyMillionFields();
const threeMillion = theThreeMillionFields({ title: '£3 million for the CPS' });

/** Every projection folded over the events, by name: what the runner or a replay holds. */
function statesOf(events: readonly RecordedEvent[]): Map<string, unknown> {
  return new Map(PROJECTIONS.map((projection) => [projection.name, replay(projection, events)]));
}

function register(log: EventLog, code: string): void {
  log.record({
    type: 'ProgrammeRegistered',
    data: { code, name: code, description: `about ${code}`, registeredAt: '2025-04-01T09:00:00.000Z' },
  });
}

function aLedger(): EventLog {
  const log = new EventLog();
  register(log, 'oic-supply-chains');
  register(log, 'cps-smuggling-prosecutions');
  log.announced(THIRTY, thirtyMillion);
  log.announced(THREE, threeMillion);
  log.rate('GBP', 'EUR', '1.1876', '2025-03-31');
  log.amended(THIRTY, { title: 'Corrected title' });
  return log;
}

describe('digestOf', () => {
  it('is a SHA-256 hex digest, the same for the same events folded twice', () => {
    const digest = digestOf(statesOf(aLedger().events));

    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(digestOf(statesOf(aLedger().events))).toBe(digest);
  });

  it('ignores the order of the projections in the map and of entries in maps whose order means nothing', () => {
    const inOrder = new EventLog();
    register(inOrder, 'oic-supply-chains');
    register(inOrder, 'cps-smuggling-prosecutions');
    const reversed = new EventLog();
    register(reversed, 'cps-smuggling-prosecutions');
    register(reversed, 'oic-supply-chains');
    const states = statesOf(inOrder.events);

    expect(digestOf(statesOf(reversed.events))).toBe(digestOf(states));
    expect(digestOf(new Map([...states].reverse()))).toBe(digestOf(states));
  });

  it('keeps the order in which announcements were first recorded: list cursors point into it', () => {
    const first = new EventLog();
    first.announced(THIRTY, thirtyMillion);
    first.announced(THREE, threeMillion);
    const second = new EventLog();
    second.announced(THREE, threeMillion);
    second.announced(THIRTY, thirtyMillion);

    expect(digestOf(statesOf(second.events))).not.toBe(digestOf(statesOf(first.events)));
  });

  it('changes with any change of meaning: an amount, a title, a rate, an idempotency record', () => {
    const base = digestOf(statesOf(aLedger().events));
    const amended = aLedger();
    amended.amended(THREE, { amount: { currency: 'GBP', minor: 300_000_001 } });
    const retitled = aLedger();
    retitled.amended(THREE, { title: 'Another title' });
    const rated = aLedger();
    rated.rate('GBP', 'EUR', '1.1877', '2025-04-01');
    const withKey = statesOf(aLedger().events);
    const write: IdempotentWrite = { requestHash: 'h', stream: `announcement-${THREE}`, revision: 0n, position: positionOf(4n) };
    withKey.set('idempotency', new Map([['admin\nkey-1', write]]));

    const digests = [
      base,
      digestOf(statesOf(amended.events)),
      digestOf(statesOf(retitled.events)),
      digestOf(statesOf(rated.events)),
      digestOf(withKey),
    ];

    expect(new Set(digests).size).toBe(5);
  });

  it('counts what totals mean, not their bookkeeping: an announcement withdrawn leaves the same totals as none', () => {
    const none = new EventLog();
    const withdrawn = new EventLog();
    withdrawn.announced(THREE, threeMillion);
    withdrawn.withdrawn(THREE);

    const digestOfTotals = (log: EventLog) => digestOf(new Map([['totals', replay(totalsProjection, log.events)]]));

    expect(digestOfTotals(withdrawn)).toBe(digestOfTotals(none));
  });

  it('refuses a projection it has no description for, rather than digesting it wrongly', () => {
    expect(() => digestOf(new Map([['somethingNew', new Map()]]))).toThrow('no digest is defined for projection somethingNew');
  });
});
