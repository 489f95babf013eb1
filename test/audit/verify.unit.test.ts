// The chain verifier: names the first broken link (stream, revision, position) of an edited, removed or relinked event.
import { describe, expect, it } from 'vitest';
import { eventHash } from '../../src/audit/chain.js';
import { ChainVerifier, type VerifyReport } from '../../src/audit/verify.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { altered, ChainedLog } from './chainedLog.js';

/** Programme A (revisions 0-2) and B (0-1), interleaved: positions 1 A0, 2 B0, 3 A1, 4 B1, 5 A2. */
function aLedger(): RecordedEvent[] {
  const log = new ChainedLog();
  log.append('programme-a', 'ProgrammeRegistered');
  log.append('programme-b', 'ProgrammeRegistered');
  log.append('programme-a', 'ProgrammeRenamed');
  log.append('programme-b', 'ProgrammeRenamed');
  log.append('programme-a', 'ProgrammeRenamed');
  return log.events;
}

function verify(events: readonly RecordedEvent[]): VerifyReport {
  const verifier = new ChainVerifier();
  for (const event of events) verifier.check(event);
  return verifier.report();
}

function replaced(events: readonly RecordedEvent[], index: number, event: RecordedEvent): RecordedEvent[] {
  return events.map((original, i) => (i === index ? event : original));
}

describe('ChainVerifier on an intact ledger', () => {
  it('counts events and streams, and reports the last position and every chain head', () => {
    const events = aLedger();

    const report = verify(events);

    expect(report).toMatchObject({ ok: true, events: 5, streams: 2, lastPosition: '5', firstBreak: undefined, breaks: 0 });
    expect(report.chainHeads).toEqual(
      new Map([
        ['programme-a', events[4]!.metadata.hash],
        ['programme-b', events[3]!.metadata.hash],
      ]),
    );
  });

  it('accepts an empty ledger', () => {
    expect(verify([])).toMatchObject({ ok: true, events: 0, streams: 0, lastPosition: undefined, breaks: 0 });
  });
});

describe('ChainVerifier names the first broken link', () => {
  it('an event whose data was edited: its stream, revision, position and type; its successor is not blamed', () => {
    const events = aLedger();
    const edited = altered(events[2]!, { data: { n: 999 } });

    const report = verify(replaced(events, 2, edited));

    expect(report.ok).toBe(false);
    expect(report.breaks).toBe(1);
    expect(report.events).toBe(5);
    expect(report.firstBreak).toEqual({
      stream: 'programme-a',
      revision: '1',
      position: '3',
      type: 'ProgrammeRenamed',
      problem: expect.stringMatching(/hash does not match the event content/),
    });
  });

  it.each<[string, (event: RecordedEvent) => RecordedEvent]>([
    ['its metadata (actor)', (event) => altered(event, { metadata: { ...event.metadata, actor: 'someone-else' } })],
    ['its type', (event) => altered(event, { type: 'ProgrammeRegistered' })],
    ['its hash field removed', (event) => altered(event, { metadata: { ...event.metadata, hash: undefined } })],
  ])('an event with %s altered', (_what, alter) => {
    const events = aLedger();

    const report = verify(replaced(events, 2, alter(events[2]!)));

    expect(report.firstBreak).toMatchObject({
      stream: 'programme-a',
      revision: '1',
      position: '3',
      problem: expect.stringMatching(/hash/),
    });
  });

  it('an event edited and re-hashed by someone who knows the scheme: the next event of its stream no longer links to it', () => {
    const events = aLedger();
    const forged = altered(events[2]!, { data: { n: 999 } });
    const rehashed = altered(forged, { metadata: { ...forged.metadata, hash: eventHash(forged) } });

    const report = verify(replaced(events, 2, rehashed));

    expect(report.firstBreak).toMatchObject({
      stream: 'programme-a',
      revision: '2',
      position: '5',
      problem: expect.stringMatching(/prevHash/),
    });
  });

  it('a deleted event: the gap in revisions, at the event after it', () => {
    const events = aLedger();

    const report = verify(events.filter((_event, index) => index !== 2));

    expect(report.ok).toBe(false);
    expect(report.events).toBe(4);
    expect(report.firstBreak).toMatchObject({
      stream: 'programme-a',
      revision: '2',
      position: '5',
      problem: 'revision 2 where 1 was expected',
    });
  });

  it('a swapped prevHash: an event that points at another event than its predecessor', () => {
    const events = aLedger();
    const relinked = altered(events[4]!, { metadata: { ...events[4]!.metadata, prevHash: events[0]!.metadata.hash } });

    const report = verify(replaced(events, 4, relinked));

    expect(report.firstBreak).toMatchObject({
      stream: 'programme-a',
      revision: '2',
      position: '5',
      problem: 'prevHash does not match the hash of the previous event in the stream',
    });
  });

  it('a revision 0 whose prevHash is not 64 zeros', () => {
    const events = aLedger();
    const first = events[1]!;
    const metadata = { ...first.metadata, prevHash: '1'.repeat(64) };
    const relinked = altered(first, { metadata: { ...metadata, hash: eventHash({ ...first, metadata }) } });

    const report = verify(replaced(events, 1, relinked));

    expect(report.firstBreak).toMatchObject({
      stream: 'programme-b',
      revision: '0',
      position: '2',
      problem: expect.stringMatching(/prevHash/),
    });
  });

  it('an event moved to another stream', () => {
    const events = aLedger();

    const report = verify(replaced(events, 3, altered(events[3]!, { stream: 'programme-c', revision: 0n })));

    expect(report.firstBreak).toMatchObject({ stream: 'programme-c', revision: '0', position: '4' });
  });

  it('events out of position order', () => {
    const events = aLedger();
    const swapped = [events[0]!, events[2]!, events[1]!, events[3]!, events[4]!];

    const report = verify(swapped);

    expect(report.firstBreak).toMatchObject({ position: '2', problem: 'position 2 does not follow 3' });
  });

  it('several breaks: counts each, and the first in global order is the one named', () => {
    const events = aLedger();
    const tampered = events.map((event, index) => (index === 1 || index === 4 ? altered(event, { data: { n: -1 } }) : event));

    const report = verify(tampered);

    expect(report.breaks).toBe(2);
    expect(report.firstBreak).toMatchObject({ stream: 'programme-b', revision: '0', position: '2' });
  });

  it('check() answers each broken link as it is found', () => {
    const events = aLedger();
    const verifier = new ChainVerifier();

    const results = replaced(events, 3, altered(events[3]!, { data: {} })).map((event) => verifier.check(event));

    expect(results.map((result) => result?.position)).toEqual([undefined, undefined, undefined, '4', undefined]);
  });
});
