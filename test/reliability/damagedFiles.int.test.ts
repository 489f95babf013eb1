// A damaged events.sqlite (not a database, truncated, pages overwritten), keys store, keys.json or signing key stops
// start-up with one message naming the file and the damage, a non-zero exit and no stack trace.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { embeddedDatabasePath } from '../../src/store/embedded.js';
import { freePort } from '../support/childLedger.js';
import { clientOf, expectStatus, registerProgrammes, startTestLedger, theThirtyMillion } from '../support/ledger.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;

/** Starts src/server.ts on `dataDir` and waits for it to exit (it must, within 20 s): its code and everything it wrote. */
async function startExpectingExit(dataDir: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(repoRoot, 'src/server.ts')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: String(await freePort()) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output: chunks.join('') };
}

/** A stopped ledger with 120 announcements (about 40 pages of events) and no snapshot, so a start reads them all. */
async function aStoppedLedger(): Promise<string> {
  const ledger = await startTestLedger();
  await registerProgrammes(ledger);
  const api = clientOf(ledger);
  for (let i = 0; i < 120; i += 1) expectStatus(await api.post('/announcements', theThirtyMillion({ title: `Announcement ${i} ${'of some length '.repeat(10)}` })), 201);
  await ledger.close();
  rmSync(path.join(ledger.dataDir, 'snapshots'), { recursive: true, force: true });
  return ledger.dataDir;
}

function overwritePages(file: string, from: number, to: number): void {
  const pageSize = readFileSync(file).readUInt16BE(16);
  const garbage = Buffer.alloc(pageSize, 0xa5);
  const fd = openSync(file, 'r+');
  try {
    for (let page = from; page < to; page += 1) writeSync(fd, garbage, 0, pageSize, page * pageSize);
  } finally {
    closeSync(fd);
  }
}

/** One fatal log line naming the file, the damage and the way back; no stack trace anywhere (as text or in a JSON log). */
function expectOneMessage(output: string, file: string, damage: RegExp): void {
  const fatal = output.split('\n').filter((line) => line.includes('"level":60'));
  expect(fatal, output).toHaveLength(1);
  const message = (JSON.parse(fatal[0] as string) as { msg: string }).msg;
  expect(message.startsWith(`${file} is damaged (`), message).toBe(true);
  expect(message).toMatch(damage);
  expect(message).toContain('ledger restore --from <backup>');
  expect(output).not.toMatch(/\n\s+at |\\n\s+at |"stack"/);
}

describe('a damaged file under DATA_DIR stops start-up', () => {
  it('events.sqlite that is not a database: exit 3, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = embeddedDatabasePath(dataDir);
    writeFileSync(file, 'this is a text file where the events were\n'.repeat(100));
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(3);
    expectOneMessage(output, file, /is damaged \(it is not a SQLite database\)/);
  }, 60_000);

  it('events.sqlite truncated: exit 3, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = embeddedDatabasePath(dataDir);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(3);
    expectOneMessage(output, file, /is damaged \(it is truncated: \d+ bytes where its header says \d+ pages/);
  }, 60_000);

  it('events.sqlite with pages overwritten by garbage: exit 3, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = embeddedDatabasePath(dataDir);
    const pages = statSync(file).size / readFileSync(file).readUInt16BE(16);
    overwritePages(file, Math.floor(pages / 3), Math.floor(pages / 2));
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(3);
    expectOneMessage(output, file, /is damaged \(damaged pages: /);
  }, 60_000);

  it('the keys store not a database: exit 3, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = embeddedDatabasePath(path.join(dataDir, 'keys'));
    writeFileSync(file, 'garbage '.repeat(1_000));
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(3);
    expectOneMessage(output, file, /is damaged \(it is not a SQLite database\)/);
  }, 60_000);

  it('a keys.json that is not JSON: exit 2, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = path.join(dataDir, 'keys.json');
    writeFileSync(file, '{"keys": [{"name": "ops", "sco');
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(2);
    expect(output).toMatch(new RegExp(`^funding-ledger: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not JSON \\(.+\\); fix or remove it`, 'm'));
    expect(output).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('a damaged signing key file: exit 2, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = path.join(dataDir, 'audit', 'signing.key');
    writeFileSync(file, `${readFileSync(file, 'utf8').slice(0, 20)}\u0000garbage\n`);
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(2);
    expect(output).toContain(`funding-ledger: ${file}: does not hold a signer key`);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).not.toMatch(/\n\s+at /);
  }, 60_000);
});
