// The real service in a child process (`node --import tsx src/server.ts`), for tests that kill, signal and restart it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { onTestFinished } from 'vitest';
import { KeyRing, type Scope } from '../../src/auth/keys.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const serverEntry = path.join(repoRoot, 'src/server.ts');
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChildLedger {
  readonly baseUrl: string;
  readonly pid: number;
  readonly dataDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Sends a signal (SIGKILL, SIGTERM) to the process. */
  signal(signal: NodeJS.Signals): void;
  /** Resident set size of the process in bytes, from /proc (Linux), or `ps` elsewhere. */
  rss(): number;
}

export interface ChildLedgerOptions {
  /** Reused across restarts; a fresh temp directory (removed when the test ends) when absent. */
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
  /** Flags for node itself, e.g. `--max-old-space-size=128`. */
  readonly nodeFlags?: readonly string[];
  /**
   * How long to wait for /health/ready.
   * @defaultValue 30_000
   */
  readonly readyTimeoutMs?: number;
}

/** A port nothing listens on right now: the child needs one before it starts, since it cannot tell us what port 0 chose. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A data directory removed when the test ends. */
export function tempDataDir(): string {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'funding-ledger-child-'));
  onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
  return dataDir;
}

/** Adds API keys to a data directory's key file (before or while a child runs) and returns them by name. */
export function createKeys<Name extends string>(dataDir: string, keys: Record<Name, readonly Scope[]>): Record<Name, string> {
  const ring = new KeyRing(dataDir);
  return Object.fromEntries(Object.entries<readonly Scope[]>(keys).map(([name, scopes]) => [name, ring.create(name, scopes)])) as Record<Name, string>;
}

function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    if (kib !== undefined) return Number(kib) * 1024;
  } catch (_error) {
    // not Linux: fall through to ps
  }
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
}

async function waitUntilReady(baseUrl: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the ledger exited before it was ready:\n${output()}`);
    try {
      const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch (_error) {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the ledger was not ready within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Starts `src/server.ts` on 127.0.0.1 and a free port and waits until it is ready. The process is killed (SIGKILL)
 * when the test ends if it still runs; its data directory outlives it, so a test can restart on it.
 */
export async function startChildLedger(options: ChildLedgerOptions = {}): Promise<ChildLedger> {
  const dataDir = options.dataDir ?? tempDataDir();
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), '--import', tsxLoader, serverEntry], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'info',
      ...options.env,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  const output = (): string => chunks.join('');
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady(baseUrl, child, output, options.readyTimeoutMs ?? 30_000);
  return {
    baseUrl,
    pid: child.pid as number,
    dataDir,
    output,
    exited,
    signal: (signal) => void child.kill(signal),
    rss: () => rssOf(child.pid as number),
  };
}
