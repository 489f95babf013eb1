// Optimistic concurrency over real HTTP: parallel writers to one stream, exactly one wins, no lost update.
import { describe, expect, it } from 'vitest';
import { clientOf, startTestLedger, type Client, type Reply, type TestLedger } from '../support/ledger.js';
import { aListeningLedgerWithTheThirtyMillion, aProgramme, registerProgrammes, theThirtyMillion } from '../support/scenarios.js';

/**
 * In-process, the embedded store reads and appends without yielding to the event loop, so parallel requests never
 * interleave between a command's read and its append. Holding each append until the next one arrives (or 200 ms pass)
 * makes two commands that read the same revision append together, as with a remote store: the race the expected
 * revision guards against then happens in every run, not only on a slow machine.
 */
function pairUpAppends(ledger: TestLedger): void {
  const store = ledger.ledger.context.store;
  const append = store.append.bind(store);
  let held: (() => void) | undefined;
  store.append = async (...args) => {
    if (held !== undefined) {
      const release = held;
      held = undefined;
      release();
    } else {
      await new Promise<void>((resolve) => {
        held = resolve;
        setTimeout(() => {
          if (held === resolve) held = undefined;
          resolve();
        }, 200);
      });
    }
    return append(...args);
  };
}

/** Fifty editors amending the title of one announcement at once, each sending `headers`. */
function fiftyEditorsAmend(api: Client, id: string, headers: Record<string, string> = {}): Promise<Reply[]> {
  return Promise.all(
    Array.from({ length: 50 }, (_, n) =>
      api.post(`/announcements/${id}/amendments`, { changes: { title: `Editor ${n}` }, reason: `editor ${n} edits` }, { headers }),
    ),
  );
}

/** Twenty registrars registering the same programme code at once, each under another name. */
function twentyRegistrarsRegister(api: Client): Promise<Reply[]> {
  return Promise.all(Array.from({ length: 20 }, (_, n) => api.post('/programmes', aProgramme({ name: `Registrar ${n}` }))));
}

/** Exactly one of the replies is `won`, every other one 409; returns the winner. */
function expectOneWinnerTheRestConflicts(replies: readonly Reply[], won: 200 | 201): Reply {
  const statuses = replies.map((r) => r.status);
  expect(statuses.filter((s) => s === won)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(replies.length - 1);
  return replies.find((r) => r.status === won)!;
}

describe('parallel writes to one stream', () => {
  it('50 amendments with the same If-Match: exactly one 200, the rest 409 or 412', async () => {
    const { ledger, created } = await aListeningLedgerWithTheThirtyMillion();
    const api = clientOf(ledger);

    const replies = await fiftyEditorsAmend(api, created.id, { 'if-match': '"0"' });

    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200 && s !== 409 && s !== 412)).toEqual([]);
    for (const reply of replies.filter((r) => r.status !== 200)) {
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const winner = replies.find((r) => r.status === 200)!;
    const shown = await api.get(`/announcements/${created.id}`);
    expect(shown.json).toEqual(winner.json);
    expect(shown.json.revision).toBe(1);
    expect(await ledger.eventsIn(`announcement-${created.id}`)).toHaveLength(2);
  });

  it('50 amendments without If-Match: each one that answers 200 is recorded, none is lost', async () => {
    const { ledger, created } = await aListeningLedgerWithTheThirtyMillion();
    const api = clientOf(ledger);

    const replies = await fiftyEditorsAmend(api, created.id);

    const succeeded = replies.filter((r) => r.status === 200);
    expect(replies.filter((r) => r.status !== 200 && r.status !== 409)).toEqual([]);
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    const events = await ledger.eventsIn(`announcement-${created.id}`);
    expect(events).toHaveLength(1 + succeeded.length);
    expect(new Set(succeeded.map((r) => r.json.revision as number)).size).toBe(succeeded.length);
  });

  it('20 registrations of one programme code: exactly one 201, the rest 409', async () => {
    const ledger = await startTestLedger();
    const api = clientOf(ledger);

    const replies = await twentyRegistrarsRegister(api);

    const winner = expectOneWinnerTheRestConflicts(replies, 201);
    const { position: _position, ...registered } = winner.json;
    expect((await api.get('/programmes')).json.items).toEqual([registered]);
    expect(await ledger.eventsIn('programme-')).toHaveLength(1);
  });

  it('20 announcements with one client-chosen id: exactly one 201, the rest 409', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);
    const id = 'd1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6';

    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, n) => clientOf(ledger).post('/announcements', theThirtyMillion({ id, title: `Copy ${n}` }))),
    );

    expectOneWinnerTheRestConflicts(replies, 201);
    expect(await ledger.eventsIn('announcement-')).toHaveLength(1);
  });
});

describe('parallel writes whose appends race', () => {
  it('50 amendments with the same If-Match: exactly one 200, the rest 409 or 412', async () => {
    const { ledger, created } = await aListeningLedgerWithTheThirtyMillion();
    pairUpAppends(ledger);
    const api = clientOf(ledger);

    const replies = await fiftyEditorsAmend(api, created.id, { 'if-match': '"0"' });

    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 200 && s !== 409 && s !== 412)).toEqual([]);
    expect(statuses).toContain(409);
    const winner = replies.find((r) => r.status === 200)!;
    expect((await api.get(`/announcements/${created.id}`)).json).toEqual(winner.json);
    expect(await ledger.eventsIn(`announcement-${created.id}`)).toHaveLength(2);
  });

  it('50 amendments without If-Match: losers get 409, and every 200 is recorded', async () => {
    const { ledger, created } = await aListeningLedgerWithTheThirtyMillion();
    pairUpAppends(ledger);
    const api = clientOf(ledger);

    const replies = await fiftyEditorsAmend(api, created.id);

    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s !== 200 && s !== 409)).toEqual([]);
    expect(statuses).toContain(409);
    const succeeded = replies.filter((r) => r.status === 200).sort((a, b) => (a.json.revision as number) - (b.json.revision as number));
    const events = await ledger.eventsIn(`announcement-${created.id}`);
    expect(events).toHaveLength(1 + succeeded.length);
    expect(succeeded.map((r) => r.json.revision as number)).toEqual(succeeded.map((_, index) => index + 1));
    expect((await api.get(`/announcements/${created.id}`)).json).toEqual(succeeded.at(-1)!.json);
  });

  it('20 registrations of one programme code: exactly one 201, the rest 409', async () => {
    const ledger = await startTestLedger();
    pairUpAppends(ledger);

    const replies = await twentyRegistrarsRegister(clientOf(ledger));

    expectOneWinnerTheRestConflicts(replies, 201);
    expect(await ledger.eventsIn('programme-')).toHaveLength(1);
  });
});
