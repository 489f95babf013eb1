// The ledger service as a child process on a data dir: started and timed to readiness, stopped with SIGTERM.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { exitOf, spawnChild, tail } from './children.js';
import { freePort, request, requestServed } from './http.js';
import { SERVER_ENTRY } from './paths.js';
import { memoryOf, type Memory } from './procfs.js';

/**
 * What the bench sets for the service: quiet logs, no write limit, and the allocator setting `npm start` and the
 * Dockerfile use (see README, Performance).
 */
export const SERVICE_ENV = { LOG_LEVEL: 'warn', RATE_LIMIT_WRITES_PER_MINUTE: '0', MALLOC_MMAP_THRESHOLD_: '131072' } as const;

export interface RunningService {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly dataDir: string;
  readonly logFile: string;
}

export interface Started {
  readonly service: RunningService;
  /** From spawn to the first 200 of /health/ready. */
  readonly readySeconds: number;
  /** Events applied when ready (the position /health/ready reports). */
  readonly position: string;
  readonly memory: Memory;
  /** Whether a snapshot file was there at start and the service did not say it started from the first event. */
  readonly snapshotUsed: boolean;
}

export function snapshotFile(dataDir: string): string {
  return path.join(dataDir, 'snapshots', 'projections.v8');
}

export function snapshotSizeMb(dataDir: string): number | undefined {
  const file = snapshotFile(dataDir);
  return existsSync(file) ? Math.round(statSync(file).size / 1024 / 1024) : undefined;
}

const READY_POLL_MS = 20;

export async function startService(
  dataDir: string,
  options: { readyTimeoutMs: number; env?: Record<string, string>; nodeArgs?: readonly string[] },
): Promise<Started> {
  const port = await freePort();
  const logFile = path.join(dataDir, `service-${Date.now()}.log`);
  const hadSnapshot = existsSync(snapshotFile(dataDir));
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    ...SERVICE_ENV,
    ...options.env,
  };
  const started = performance.now();
  const child = spawnChild(process.execPath, [...(options.nodeArgs ?? []), SERVER_ENTRY], { env });
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const baseUrl = `http://127.0.0.1:${port}`;
  let position = '0';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the service exited before it was ready (${child.exitCode ?? child.signalCode}):\n${tail(readLog(logFile))}`);
    }
    if (performance.now() - started > options.readyTimeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`the service was not ready within ${options.readyTimeoutMs / 1000} s:\n${tail(readLog(logFile))}`);
    }
    const answer = await request(`${baseUrl}/health/ready`).catch(() => undefined);
    if (answer?.status === 200) {
      position = (JSON.parse(answer.body) as { position: string }).position;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  const readySeconds = (performance.now() - started) / 1000;
  const memory = memoryOf(child.pid as number);
  const adminKey = readFileSync(path.join(dataDir, 'admin.key'), 'utf8').trim();
  const snapshotUsed = hadSnapshot && !/projections start from the first event/.test(readLog(logFile));
  return {
    service: { child, pid: child.pid as number, baseUrl, adminKey, dataDir, logFile },
    readySeconds,
    position,
    memory,
    snapshotUsed,
  };
}

export interface Stopped {
  readonly seconds: number;
  readonly code: number | null;
  readonly signal: string | null;
  readonly snapshotMb: number | undefined;
}

/** SIGTERM, then wait: the service saves its projection snapshot on the way out. SIGKILL after `timeoutMs`. */
export async function stopService(service: RunningService, timeoutMs: number): Promise<Stopped> {
  const started = performance.now();
  service.child.kill('SIGTERM');
  let exit = await exitOf(service.child, timeoutMs);
  if (exit === undefined) {
    service.child.kill('SIGKILL');
    exit = await exitOf(service.child, 10_000);
  }
  return {
    seconds: (performance.now() - started) / 1000,
    code: exit?.code ?? null,
    signal: exit?.signal ?? 'SIGKILL',
    snapshotMb: snapshotSizeMb(service.dataDir),
  };
}

/** Until /health/ready answers 200 again: a scenario that blocked the event loop leaves 503s behind it for a moment. */
export async function settled(service: RunningService, timeoutMs = 30_000): Promise<void> {
  const answer = await requestServed(`${service.baseUrl}/health/ready`, {}, { attempts: Math.ceil(timeoutMs / 100), waitMs: 100 });
  if (answer.status !== 200) throw new Error(`the service did not settle within ${timeoutMs / 1000} s: ${answer.status}`);
}

export function authorization(service: RunningService): Record<string, string> {
  return { authorization: `Bearer ${service.adminKey}` };
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
