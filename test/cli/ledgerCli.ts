// Runs the real `ledger` command in a child process (TypeScript sources through tsx), and records a ledger for it to read.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { adminKeyPath } from '../../src/auth/keys.js';
import { loadConfig } from '../../src/config.js';
import { startLedger, type Ledger } from '../../src/ledger.js';
import { Clock, recordedAtOf, writeHistory, type History } from '../audit/ledgerHistory.js';
import { expectStatus, request } from '../support/ledger.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cliEntry = path.join(repoRoot, 'src/cli/index.ts');
// By absolute URL, so the command also runs from a directory that has no node_modules.
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;

export interface Ran {
  /** Exit code. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `ledger <args>` with a clean environment (no DATA_DIR unless given), stdout and stderr not a terminal. */
export function ledger(args: readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader, cliEntry, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses the one JSON line a `--json` command prints; fails with the output when there is none. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function jsonOf(ran: Ran): any {
  try {
    return JSON.parse(ran.stdout);
  } catch (_error) {
    throw new Error(`not JSON (exit ${ran.code}): ${ran.stdout}\n${ran.stderr}`);
  }
}

export interface RecordedLedger {
  readonly history: History;
  /** What POST /audit/replay answered once the history was written. */
  readonly replay: { match: boolean; events: number; digest: string; position: string };
  /** What GET /audit/export answered then. */
  readonly exported: string;
}

/**
 * Writes the history of ledgerHistory.ts into `dataDir` through the real service, asks it for a replay and an export,
 * lets `whileRunning` take what else it needs from the service, then closes it (saving its snapshot), so that the
 * command line can open the directory.
 */
export async function recordLedger(dataDir: string, whileRunning: (service: Ledger) => void = () => undefined): Promise<RecordedLedger> {
  const clock = new Clock(recordedAtOf(1));
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0' });
  const service = await startLedger(config, pino({ level: 'silent' }), { now: clock.now });
  try {
    await service.app.listen({ host: config.host, port: config.port });
    const baseUrl = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
    const admin = readFileSync(adminKeyPath(dataDir), 'utf8').trim();
    const { key: clerk } = await service.context.keys.create('clerk', ['read', 'write']);
    const history = await writeHistory(baseUrl, { admin, clerk }, clock);
    const replay = expectStatus(await request(baseUrl, 'POST', '/audit/replay', { key: admin }), 200).json as RecordedLedger['replay'];
    const exported = expectStatus(await request(baseUrl, 'GET', '/audit/export', { key: admin }), 200).text;
    whileRunning(service);
    return { history, replay, exported };
  } finally {
    await service.close();
  }
}
