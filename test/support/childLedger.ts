// The real service in a child process (`node --import tsx src/server.ts`), for tests that kill, signal and restart it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { onTestFinished } from 'vitest';
import { adminKeyPath, generateKey, type Scope } from '../../src/auth/keys.js';
import { keysFilePath } from '../../src/auth/keysFile.js';

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

/** The address of each child ledger running now, by its data directory: where createKeys sends its keys. */
const running = new Map<string, string>();

/** Creates the keys through a running child's `POST /admin/keys` with its admin key, synchronously (a short node process). */
function createOverHttp(baseUrl: string, adminKey: string, keys: Record<string, readonly Scope[]>): Record<string, string> {
  const script = `
    const created = {};
    for (const [name, scopes] of Object.entries(JSON.parse(process.env.KEYS))) {
      const response = await fetch(process.env.BASE_URL + '/admin/keys', {
        method: 'POST',
        headers: { authorization: 'Bearer ' + process.env.ADMIN_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ name, scopes }),
      });
      const text = await response.text();
      if (response.status !== 201) { process.stderr.write('POST /admin/keys ' + name + ': ' + response.status + ' ' + text); process.exit(1); }
      created[name] = JSON.parse(text).key;
    }
    process.stdout.write(JSON.stringify(created));`;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', BASE_URL: baseUrl, ADMIN_KEY: adminKey, KEYS: JSON.stringify(keys) },
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as Record<string, string>;
}

/**
 * Adds API keys to a data directory and returns them by name. While a child runs on it: through its `POST /admin/keys`
 * with the admin key of <DATA_DIR>/admin.key. Before it starts: in a keys.json, which the service imports into its
 * keys stream when it starts (README "API keys"); keys it names stop the service from creating an admin key of its own.
 */
export function createKeys<Name extends string>(dataDir: string, keys: Record<Name, readonly Scope[]>): Record<Name, string> {
  const baseUrl = running.get(dataDir);
  if (baseUrl !== undefined) return createOverHttp(baseUrl, readFileSync(adminKeyPath(dataDir), 'utf8').trim(), keys);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = keysFilePath(dataDir);
  const records = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { keys: unknown[] }).keys : [];
  const created = Object.fromEntries(Object.keys(keys).map((name) => [name, generateKey()])) as Record<Name, string>;
  for (const [name, scopes] of Object.entries<readonly Scope[]>(keys)) {
    const sha256 = createHash('sha256')
      .update(created[name as Name], 'utf8')
      .digest('hex');
    records.push({ name, scopes, sha256, createdAt: new Date().toISOString() });
  }
  writeFileSync(file, `${JSON.stringify({ keys: records }, null, 2)}\n`, { mode: 0o600 });
  return created;
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
  running.set(dataDir, baseUrl);
  void exited.then(() => {
    if (running.get(dataDir) === baseUrl) running.delete(dataDir);
  });
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
