// Backups of the embedded store: taken over HTTP while writes go on, restored with `ledger restore`, and served again
// with exactly the totals the original answered as of the backup; damaged backups refused; the schedule and BACKUP_KEEP.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ledger } from '../cli/ledgerCli.js';
import { clientOf, expectStatus, startTestLedger, type TestLedger } from '../support/ledger.js';
import { anExchangeRate, registerProgrammes, theThirtyMillion, theThreeMillion, type Body } from '../support/scenarios.js';

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const COUNTRIES = ['GB', 'FR', 'DE', 'IE'];

/** Announcements across programmes, countries and years, so every grouping has several rows. */
function announcementNumber(n: number): Body {
  const base = n % 2 === 0 ? theThirtyMillion() : theThreeMillion();
  return {
    ...base,
    country: COUNTRIES[n % COUNTRIES.length],
    announcedOn: `${2022 + (n % 4)}-0${1 + (n % 9)}-15`,
    amount: { value: `${1000 + n}.${String(n % 100).padStart(2, '0')}`, currency: 'GBP' },
  };
}

const TOTALS_QUERIES = [
  '/totals',
  '/totals?groupBy=programme',
  '/totals?groupBy=country',
  '/totals?groupBy=year',
  '/totals?groupBy=fiscalYear',
  '/totals?groupBy=funder',
  '/totals?groupBy=currency',
  '/totals?groupBy=programme,country',
  '/totals?groupBy=country,year&currency=EUR',
  '/totals?groupBy=programme&currency=EUR',
  '/totals?currency=GBP',
];

async function setUp(env: Record<string, string> = {}): Promise<TestLedger> {
  const original = await startTestLedger({ env });
  await registerProgrammes(original);
  expectStatus(await clientOf(original).post('/exchange-rates', anExchangeRate({ effectiveOn: '2020-01-01' })), 201);
  return original;
}

async function takeBackup(original: TestLedger): Promise<{ manifest: Record<string, unknown>; file: string }> {
  const reply = expectStatus(await clientOf(original).post('/admin/backups', undefined), 201);
  const manifest = reply.json as Record<string, unknown>;
  return { manifest, file: join(original.dataDir, 'backups', manifest.file as string) };
}

describe('POST /admin/backups and ledger restore', () => {
  it('takes a consistent backup while announcements are written, and the restored ledger serves the totals as of its last position', async () => {
    const original = await setUp();
    const api = clientOf(original);
    let written = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        expectStatus(await api.post('/announcements', announcementNumber(written)), 201);
        written += 1;
      }
    })();
    while (written < 40) await new Promise((resolve) => setTimeout(resolve, 5));
    const { manifest, file } = await takeBackup(original);
    const atBackup = written;
    while (written < atBackup + 20) await new Promise((resolve) => setTimeout(resolve, 5));
    writing = false;
    await writer;

    expect(manifest).toMatchObject({ file: expect.stringMatching(/^events-.*\.sqlite$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const lastPosition = manifest.lastPosition as string;
    expect(BigInt(lastPosition)).toBeLessThan(BigInt(await original.storeHead()));
    const backups = join(original.dataDir, 'backups');
    expect(statSync(backups).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(backups)) expect(statSync(join(backups, name)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(backups, (manifest.file as string).replace(/\.sqlite$/, '.json')), 'utf8'))).toEqual(manifest);

    const restoredDir = join(tempDir('funding-ledger-restore-'), 'data');
    const ran = await ledger(['restore', '--from', file, '--data-dir', restoredDir, '--json']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ events: manifest.events, lastPosition });
    expect(statSync(restoredDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(restoredDir, 'events.sqlite')).mode & 0o777).toBe(0o600);

    const restored = await startTestLedger({ dataDir: restoredDir });
    // The keys came with the backup: the original's admin key works, and no new one was made.
    expect(restored.adminKey).toBe('');
    expect(await restored.storeHead()).toBe(lastPosition);
    const restoredApi = clientOf(restored, original.adminKey);
    for (const query of TOTALS_QUERIES) {
      const then = expectStatus(await api.get(`${query}${query.includes('?') ? '&' : '?'}asOf=${lastPosition}`), 200).json;
      const now = expectStatus(await restoredApi.get(query), 200).json;
      expect({ query, rows: now.rows, total: now.total }).toEqual({ query, rows: then.rows, total: then.total });
    }
  }, 60_000);

  it('refuses a backup with a flipped byte, and a directory that already holds a store', async () => {
    const original = await setUp();
    for (let n = 0; n < 5; n += 1) expectStatus(await clientOf(original).post('/announcements', announcementNumber(n)), 201);
    const { file } = await takeBackup(original);
    const elsewhere = tempDir('funding-ledger-damaged-');
    for (const name of readdirSync(join(original.dataDir, 'backups')))
      copyFileSync(join(original.dataDir, 'backups', name), join(elsewhere, name));
    const damaged = join(elsewhere, file.split('/').at(-1) as string);
    const bytes = readFileSync(damaged);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 0x01;
    writeFileSync(damaged, bytes);

    const target = join(elsewhere, 'restored');
    const refused = await ledger(['restore', '--from', damaged, '--data-dir', target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^ledger: .*is damaged: its SHA-256 is [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(target, 'events.sqlite'))).toBe(false);

    const overLedger = await ledger(['restore', '--from', file, '--data-dir', original.dataDir]);
    expect(overLedger.code).toBe(1);
    expect(overLedger.stderr).toMatch(/already holds a store/);
  }, 60_000);

  it('answers 403 to a key without the admin scope', async () => {
    const original = await setUp();
    const clerk = original.createKey('clerk', ['read', 'write', 'audit']);
    const reply = await clientOf(original, clerk).post('/admin/backups', undefined);
    expect(reply.status).toBe(403);
    expect(existsSync(join(original.dataDir, 'backups'))).toBe(false);
  });
});

describe('BACKUP_SCHEDULE and BACKUP_KEEP', () => {
  it('takes a backup every second and keeps only the newest BACKUP_KEEP', async () => {
    const original = await setUp({ BACKUP_SCHEDULE: '* * * * * *', BACKUP_KEEP: '2' });
    const backups = join(original.dataDir, 'backups');
    const manifests = (): string[] =>
      existsSync(backups)
        ? readdirSync(backups)
            .filter((name) => name.endsWith('.json'))
            .sort()
        : [];
    const seen = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (seen.size < 4 && Date.now() < deadline) {
      for (const name of manifests()) seen.add(name);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen.size).toBeGreaterThanOrEqual(4);
    await original.close();
    const kept = manifests();
    expect(kept).toHaveLength(2);
    // Each kept manifest has its two copies, and nothing else is left behind (no temp files, no pruned copies).
    expect(readdirSync(backups).sort()).toEqual(
      kept
        .flatMap((name) => [name, name.replace(/\.json$/, '.sqlite'), name.replace(/^events-/, 'keys-').replace(/\.json$/, '.sqlite')])
        .sort(),
    );
  }, 30_000);

  it('stops start-up on a cron pattern croner cannot read, naming the variable', async () => {
    const { loadConfig } = await import('../../src/config.js');
    expect(() => loadConfig({ BACKUP_SCHEDULE: 'every day' })).toThrow(/BACKUP_SCHEDULE: must be a cron pattern/);
    expect(() => loadConfig({ BACKUP_KEEP: '0' })).toThrow(/BACKUP_KEEP/);
  });
});
