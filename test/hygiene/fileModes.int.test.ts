// Every file the service and the CLI create under DATA_DIR is 0600, in 0700 directories, whatever the umask.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AsOfTotals } from '../../src/projections/runtime/asOf.js';
import { AsOfCheckpoints } from '../../src/projections/storage/asOfCheckpoints.js';
import { openEmbeddedStore } from '../../src/store/embedded.js';
import { ledger } from '../cli/ledgerCli.js';
import { aRow, csvOf } from '../imports/rows.js';
import { announce, startTestLedger } from '../support/ledger.js';
import { anAnnouncement, registerProgrammes } from '../support/scenarios.js';

function aRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hygiene-modes-'));
  onTestFinished(() => fs.rmSync(root, { recursive: true, force: true }));
  return root;
}

/** The usual umask, so that only modes set on purpose make files private (restored after the test). */
function withOrdinaryUmask(): void {
  const before = process.umask(0o022);
  onTestFinished(() => void process.umask(before));
}

/** Every entry under `dir` (itself included, as "."), relative path -> kind and permission bits: "dir 0700", "file 0600". */
function modesUnder(dir: string): Record<string, string> {
  const describe = (entry: string): string => {
    const stat = fs.statSync(path.join(dir, entry));
    return `${stat.isDirectory() ? 'dir' : 'file'} ${(stat.mode & 0o777).toString(8).padStart(4, '0')}`;
  };
  const modes: Record<string, string> = { '.': describe('.') };
  for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) modes[entry] = describe(entry);
  return modes;
}

function expectPrivate(modes: Record<string, string>): void {
  for (const [entry, mode] of Object.entries(modes)) expect(mode, entry).toBe(mode.startsWith('dir') ? 'dir 0700' : 'file 0600');
}

describe('file modes under DATA_DIR', () => {
  it('are 0600 for the store, its WAL, keys, snapshots, as-of checkpoints and scheduled exports, in 0700 directories', async () => {
    withOrdinaryUmask();
    const root = aRoot();
    const dataDir = path.join(root, 'data');
    const schedules = path.join(root, 'schedules.json');
    fs.writeFileSync(
      schedules,
      JSON.stringify([{ name: 'daily', cron: '0 6 * * *', kind: 'announcements', directory: 'exports/daily', keep: 3 }]),
    );

    const service = await startTestLedger({ dataDir, env: { EXPORT_SCHEDULES_FILE: schedules } });
    await registerProgrammes(service);
    await announce(service, anAnnouncement());
    service.createKey('reader', ['read']);
    expect(await service.ledger.context.exports.schedules.runNow('daily')).toMatchObject({ status: 'ok' });
    const whileOpen = modesUnder(dataDir);
    // The shutdown snapshot.
    await service.close();

    // An as-of rebuild that leaves a checkpoint at every event, as the service does every 100,000.
    const store = openEmbeddedStore({ dataDir });
    const checkpoints = new AsOfCheckpoints(path.join(dataDir, 'asof'));
    const head = await store.headPosition();
    await new AsOfTotals(store, { checkpoints, everyEvents: 1 }).at({ position: head! });
    await checkpoints.flushed();
    await store.close();
    const afterwards = modesUnder(dataDir);

    expect(Object.keys(whileOpen)).toEqual(
      expect.arrayContaining(['events.sqlite', 'events.sqlite-wal', 'keys/events.sqlite', 'admin.key', 'asof', 'exports', 'exports/daily']),
    );
    expect(Object.keys(whileOpen).filter((entry) => entry.startsWith('exports/daily/'))).toHaveLength(2);
    expect(Object.keys(afterwards)).toEqual(expect.arrayContaining(['snapshots', 'snapshots/projections.v8']));
    expect(Object.keys(afterwards).filter((entry) => /^asof\/\d+\.v8$/.test(entry)).length).toBeGreaterThan(0);
    expectPrivate(whileOpen);
    expectPrivate(afterwards);
  });

  it('tightens a store an older version left world-readable', async () => {
    withOrdinaryUmask();
    const dataDir = path.join(aRoot(), 'data');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    await openEmbeddedStore({ dataDir }).close();
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(path.join(dataDir, 'events.sqlite'), 0o644);

    await openEmbeddedStore({ dataDir }).close();

    expect(modesUnder(dataDir)).toMatchObject({ '.': 'dir 0700', 'events.sqlite': 'file 0600' });
  });

  it('are 0600 in 0700 directories when the CLI creates the data directory', async () => {
    const root = aRoot();
    const imported = path.join(root, 'imported');
    const keyed = path.join(root, 'keyed');
    const file = path.join(root, 'one.csv');
    fs.writeFileSync(file, csvOf([aRow()]));

    const importing = await ledger(['import', file, '--data-dir', imported]);
    const keys = await ledger(['keys', 'create', '--name', 'ops', '--scopes', 'read', '--data-dir', keyed]);

    expect(importing.code, importing.stderr).toBe(0);
    expect(keys.code, keys.stderr).toBe(0);
    expect(Object.keys(modesUnder(imported))).toContain('events.sqlite');
    expect(Object.keys(modesUnder(keyed))).toContain('keys/events.sqlite');
    expectPrivate(modesUnder(imported));
    expectPrivate(modesUnder(keyed));
  });
});
