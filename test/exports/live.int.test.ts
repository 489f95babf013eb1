// Exports from the live read models stay at the position they report, even when writes land while they stream.
import { describe, expect, it } from 'vitest';
import { announcementsExport } from '../../src/exports/announcements.js';
import { liveSources } from '../../src/exports/live.js';
import { announce, clientOf, expectStatus, readyPosition, startTestLedger } from '../support/ledger.js';
import { registerProgrammes, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';
import { rowsOf, textOf } from './support.js';

describe('a live announcements export', () => {
  it('writes every announcement as it stood at its position, whatever is amended, withdrawn or added meanwhile', async () => {
    const ledger = await startTestLedger();
    const api = clientOf(ledger);
    await registerProgrammes(ledger);
    const first = await announce(ledger, theThirtyMillion());
    const second = await announce(ledger, theThreeMillion());
    const third = await announce(ledger, theThreeMillion({ title: 'Third', country: 'FR' }));
    const expected = rowsOf(
      await textOf(
        announcementsExport(await liveSources(ledger.ledger.context.store, ledger.ledger.context.projections).announcementsAt()),
      ),
    );
    const at = await liveSources(ledger.ledger.context.store, ledger.ledger.context.projections).announcementsAt();
    const views = at.views()[Symbol.asyncIterator]();

    const firstView = await views.next();
    expectStatus(
      await api.post(`/announcements/${second.id}/amendments`, { changes: { title: 'Amended meanwhile', country: 'DE' }, reason: 'moved' }),
      200,
    );
    expectStatus(await api.post(`/announcements/${third.id}/withdrawal`, { reason: 'withdrawn meanwhile' }), 200);
    await announce(ledger, theThreeMillion({ title: 'Added meanwhile' }));
    await ledger.ledger.context.projections.waitFor((await ledger.ledger.context.store.headPosition())!, 5_000);
    const rest = [];
    for (let next = await views.next(); !next.done; next = await views.next()) rest.push(next.value);

    expect(at.position).toBe('5');
    expect(await readyPosition(ledger)).toBe('8');
    expect(
      [firstView.value, ...rest].map((view) => [
        view.state.announcement.id,
        view.state.status,
        view.state.announcement.title,
        view.revision,
      ]),
    ).toEqual([
      [first.id, 'active', theThirtyMillion().title, 0n],
      [second.id, 'active', theThreeMillion().title, 0n],
      [third.id, 'active', 'Third', 0n],
    ]);
    const now = rowsOf(
      await textOf(
        announcementsExport(await liveSources(ledger.ledger.context.store, ledger.ledger.context.projections).announcementsAt()),
      ),
    );
    expect(expected).toHaveLength(3);
    expect(now.map((row) => [row.title, row.status, row.country])).toEqual([
      [theThirtyMillion().title, 'active', 'unallocated'],
      ['Amended meanwhile', 'active', 'DE'],
      ['Third', 'withdrawn', 'FR'],
      ['Added meanwhile', 'active', 'GB'],
    ]);
  });
});
