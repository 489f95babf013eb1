// A full disk under the files the ledger writes besides its store (a small tmpfs of their own, filled for real): a
// snapshot's save, a scheduled export's run and a backup fail alone, leave nothing half-written under a final name,
// and the service goes on serving and writing; each works again once space is freed.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminKeyPath } from '../../src/auth/keys.js';
import { snapshotPath } from '../../src/projections/storage/snapshot.js';
import { startChildLedger, tempDataDir, type ChildLedger } from '../support/childLedger.js';
import { clientOf, expectStatus, request, startTestLedger, type TestLedger } from '../support/ledger.js';
import { anAnnouncement, registerProgrammes, theProgrammes } from '../support/scenarios.js';
import { canMountTmpfs, fillDisk, mountTmpfs, mountTmpfsAt } from './tmpfs.js';

const mountable = canMountTmpfs();

/** Temp names the ledger writes through: none may outlive a failed write. */
const isTemp = (name: string): boolean => name.endsWith('.tmp');

describe.skipIf(!mountable)('a full disk under the snapshots, the scheduled exports and the backups', () => {
  it('a snapshot save that meets it is logged as a warning, keeps the previous snapshot usable, and the service goes on', async () => {
    const dataDir = tempDataDir();
    let service: ChildLedger | undefined;
    const stop = async (): Promise<void> => {
      service?.signal('SIGKILL');
      await service?.exited;
    };
    const snapshots = mountTmpfsAt(path.join(dataDir, 'snapshots'), '1m', stop);
    const start = async (): Promise<ChildLedger> => startChildLedger({ dataDir, env: { SNAPSHOT_EVERY_EVENTS: '10' } });
    service = await start();
    const key = readFileSync(adminKeyPath(dataDir), 'utf8').trim();
    const post = (route: string, body: unknown) => request((service as ChildLedger).baseUrl, 'POST', route, { key, body });
    const get = (route: string) => request((service as ChildLedger).baseUrl, 'GET', route, { key });
    const lines = (message: string) =>
      (service as ChildLedger)
        .output()
        .split('\n')
        .filter((line) => line.includes(`"msg":"${message}`));
    const announceMany = async (count: number) => {
      for (let i = 0; i < count; i += 1)
        expectStatus(await post('/announcements', anAnnouncement({ title: `Announcement ${i} ${'x'.repeat(100)}` })), 201);
    };

    for (const programme of theProgrammes()) expectStatus(await post('/programmes', programme), 201);
    await announceMany(10);
    await expect.poll(() => lines('projection snapshot saved').length).toBe(1);
    const saved = readFileSync(snapshotPath(dataDir));

    const filler = path.join(snapshots, 'filler');
    fillDisk(filler);
    await announceMany(10);
    await expect.poll(() => lines('projection snapshot not saved: the disk is full').length).toBe(1);
    const warning = JSON.parse(lines('projection snapshot not saved: the disk is full')[0] as string) as Record<string, unknown>;
    expect(warning).toMatchObject({ level: 40, why: 'periodic', reason: 'the disk is full (ENOSPC)' });
    expect(service.output()).not.toMatch(/"stack"|\\n\s+at /);
    // Nothing half-written: the snapshot is the one saved before, byte for byte, and no temp file is left.
    expect(readFileSync(snapshotPath(dataDir)).equals(saved)).toBe(true);
    expect(readdirSync(snapshots).filter(isTemp)).toEqual([]);
    // The service goes on: reads and writes.
    expect((await get('/health/live')).status).toBe(200);
    await announceMany(3);
    const totals = expectStatus(await get('/totals'), 200).json as unknown;

    // The snapshot left in place is usable: a start after kill -9 (no shutdown save) restores from it.
    await stop();
    service = await start();
    expect(lines('projections restored from a snapshot')).toHaveLength(1);
    expect(expectStatus(await get('/totals'), 200).json).toEqual(totals);

    // Space freed: the next save succeeds.
    rmSync(filler);
    await announceMany(10);
    await expect.poll(() => lines('projection snapshot saved').length).toBe(1);
    expect(readFileSync(snapshotPath(dataDir)).equals(saved)).toBe(false);
    expect(readdirSync(snapshots).filter(isTemp)).toEqual([]);
  }, 120_000);

  it('a scheduled export run that meets it is recorded as failed without a server path, leaves no partial file, and the next run succeeds once space is freed', async () => {
    const running: { ledger?: TestLedger } = {};
    const exportsDir = mountTmpfs('1m', async () => running.ledger?.close());
    const schedulesFile = path.join(tempDataDir(), 'schedules.json');
    writeFileSync(
      schedulesFile,
      JSON.stringify([{ name: 'journal', cron: '* * * * * *', kind: 'events', directory: exportsDir, keep: 3 }]),
    );
    const ledger = await startTestLedger({ env: { EXPORT_SCHEDULES_FILE: schedulesFile } });
    running.ledger = ledger;
    const api = clientOf(ledger);
    await registerProgrammes(ledger);
    expectStatus(await api.post('/announcements', anAnnouncement()), 201);
    const lastRun = async () =>
      ((await api.get('/exports/schedules')).json as { schedules: { lastRun: Record<string, unknown> | null }[] }).schedules[0]?.lastRun ??
      null;
    /** Every csv under its final name has its manifest, and its bytes are the ones the manifest hashes. */
    const expectOnlyCompleteRuns = () => {
      const names = readdirSync(exportsDir).filter((name) => name !== 'filler');
      expect(names.filter(isTemp)).toEqual([]);
      const csvs = names.filter((name) => name.endsWith('.csv'));
      expect(names.filter((name) => name.endsWith('.json')).sort()).toEqual(csvs.map((name) => name.replace(/\.csv$/, '.json')).sort());
      return csvs.length;
    };
    await expect.poll(async () => (await lastRun())?.status, { timeout: 15_000 }).toBe('ok');

    const filler = path.join(exportsDir, 'filler');
    fillDisk(filler);
    // Runs that began before the disk filled may still end well: wait for the first that meets it.
    await expect.poll(async () => (await lastRun())?.status, { timeout: 15_000 }).toBe('failed');
    const failed = (await lastRun()) as Record<string, unknown>;
    expect(failed).toMatchObject({ status: 'failed', file: null, error: 'the disk is full (ENOSPC)' });
    expect(JSON.stringify(await api.get('/exports/schedules').then((reply) => reply.json))).not.toContain(exportsDir);
    expectOnlyCompleteRuns();
    // The service goes on, reading and writing (its store is on another disk).
    expect((await api.get('/health/live')).status).toBe(200);
    expectStatus(await api.post('/announcements', anAnnouncement({ title: 'Written while the exports disk is full' })), 201);
    expect((await api.get('/totals')).status).toBe(200);

    rmSync(filler);
    await expect.poll(async () => (await lastRun())?.status, { timeout: 15_000 }).toBe('ok');
    const recovered = (await lastRun()) as Record<string, unknown>;
    expect(Date.parse(recovered.startedAt as string)).toBeGreaterThan(Date.parse(failed.startedAt as string));
    expect(existsSync(path.join(exportsDir, recovered.file as string))).toBe(true);
    expect(expectOnlyCompleteRuns()).toBeGreaterThan(0);
  }, 120_000);

  it('a backup that meets it answers 507 with Retry-After, leaves no partial file, and the service keeps serving and writing', async () => {
    const running: { ledger?: TestLedger } = {};
    const dataDir = tempDataDir();
    const backups = mountTmpfsAt(path.join(dataDir, 'backups'), '1m', async () => running.ledger?.close());
    const ledger = await startTestLedger({ dataDir });
    running.ledger = ledger;
    const api = clientOf(ledger);
    await registerProgrammes(ledger);
    for (let i = 0; i < 5; i += 1) expectStatus(await api.post('/announcements', anAnnouncement({ title: `Announcement ${i}` })), 201);
    expectStatus(await api.post('/admin/backups', undefined), 201);
    const kept = readdirSync(backups).sort();
    expect(kept).toHaveLength(3);

    const filler = path.join(backups, 'filler');
    fillDisk(filler);
    const refused = await api.post('/admin/backups', undefined);
    expect(refused.status, refused.text).toBe(507);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.json).toMatchObject({
      type: 'urn:funding-ledger:problem:backup-disk-full',
      title: 'Insufficient storage',
      status: 507,
      instance: '/admin/backups',
    });
    expect(refused.text).not.toContain(dataDir);
    // Nothing partial: the earlier backup, whole, and the filler; no temp copy, no copy without its manifest.
    expect(
      readdirSync(backups)
        .filter((name) => name !== 'filler')
        .sort(),
    ).toEqual(kept);

    // The service keeps serving and writing.
    expect((await api.get('/health/live')).status).toBe(200);
    expect((await api.get('/totals')).status).toBe(200);
    expectStatus(await api.post('/announcements', anAnnouncement({ title: 'Written while the backups disk is full' })), 201);

    rmSync(filler);
    const manifest = expectStatus(await api.post('/admin/backups', undefined), 201).json as { file: string };
    expect(readdirSync(backups)).toContain(manifest.file);
    expect(readdirSync(backups).filter(isTemp)).toEqual([]);
  }, 120_000);
});
