// A full disk under DATA_DIR (a 4 MiB tmpfs, filled for real): writes answer 507 with Retry-After, reads and the
// service go on, nothing is half-written, and writes resume by themselves once space is freed.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChainVerifier } from '../../src/audit/verify.js';
import { announcementStream } from '../../src/commands/announcement/events.js';
import { clientOf, expectStatus, startTestLedger, type TestLedger } from '../support/ledger.js';
import { aProgramme, anAnnouncement } from '../support/scenarios.js';
import { canMountTmpfs, fillDisk, mountTmpfs } from './tmpfs.js';

const mountable = canMountTmpfs();

describe.skipIf(!mountable)('a full disk under DATA_DIR', () => {
  it('answers writes 507 with Retry-After, keeps reading, writes nothing half, and resumes once space is freed', async () => {
    let ledger: TestLedger | undefined;
    const dataDir = mountTmpfs('4m', async () => ledger?.close());
    ledger = await startTestLedger({ dataDir });
    const api = clientOf(ledger);
    expectStatus(await api.post('/programmes', aProgramme()), 201);
    const first = expectStatus(await api.post('/announcements', anAnnouncement()), 201).json as { id: string };

    const filler = path.join(dataDir, 'filler');
    fillDisk(filler);
    // Pages SQLite already holds (its WAL is reused after a checkpoint) may take a few more writes: go on until refused.
    const acknowledged = [first.id];
    let refused;
    for (let attempt = 0; attempt < 2_000 && refused === undefined; attempt += 1) {
      const reply = await api.post(
        '/announcements',
        anAnnouncement({ title: `Written while the disk fills, number ${attempt} ${'x'.repeat(150)}` }),
        {
          headers: { 'idempotency-key': `full-${attempt}` },
        },
      );
      if (reply.status === 201) acknowledged.push((reply.json as { id: string }).id);
      else refused = { reply, key: `full-${attempt}` };
    }
    expect(refused, 'the disk never filled').toBeDefined();
    const { reply } = refused as NonNullable<typeof refused>;
    expect(reply.status).toBe(507);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.headers.get('retry-after')).toBe('60');
    expect(reply.json).toMatchObject({ type: 'urn:funding-ledger:problem:store-full', status: 507, title: 'Insufficient storage' });
    expect(reply.text).not.toContain(dataDir);

    // Still refused, still up, still reading.
    expect((await api.post('/announcements', anAnnouncement({ title: 'Another while full' }))).status).toBe(507);
    expect((await api.get('/health/live')).status).toBe(200);
    expect((await api.get(`/announcements/${first.id}`)).status).toBe(200);
    expect((await api.get('/totals')).status).toBe(200);

    rmSync(filler);
    const retried = expectStatus(
      await api.post(
        '/announcements',
        anAnnouncement({ title: `Written while the disk fills, number ${acknowledged.length - 1} ${'x'.repeat(150)}` }),
        {
          headers: { 'idempotency-key': (refused as NonNullable<typeof refused>).key },
        },
      ),
      201,
    );
    acknowledged.push((retried.json as { id: string }).id);
    expectStatus(await api.post('/announcements', anAnnouncement({ title: 'After space was freed' })), 201);

    // Every acknowledged write is there once, nothing else half-written, and the chains hold.
    const verifier = new ChainVerifier();
    const announced: string[] = [];
    for await (const event of ledger.ledger.context.store.readAll()) {
      verifier.check(event);
      if (event.type === 'FundingAnnounced') announced.push(event.stream);
    }
    expect(verifier.report()).toMatchObject({ ok: true, breaks: 0 });
    expect(announced).toEqual(expect.arrayContaining(acknowledged.map(announcementStream)));
    expect(announced).toHaveLength(acknowledged.length + 1);
    expect(new Set(announced).size).toBe(announced.length);

    // And the store is whole after a restart on the same disk.
    ledger = await ledger.restart();
    expect((await clientOf(ledger).get(`/announcements/${first.id}`)).status).toBe(200);
  }, 120_000);
});
