// Child processes of one bench run: spawned here, and killed here when the run ends or fails, so none outlive it.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { REPO_ROOT } from './paths.js';

const running = new Set<ChildProcess>();

export function spawnChild(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Node running a TypeScript bench script through tsx, in its own process. */
export function spawnScript(script: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawnChild(process.execPath, ['--import', 'tsx', script, ...args], options);
}

/** SIGKILL for every child of this run still alive; each by its own pid. */
export function killAllChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Resolves when the child exits, or undefined after `timeoutMs`. */
export function exitOf(child: ChildProcess, timeoutMs: number): Promise<Exit | undefined> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

export interface Finished extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a child to its end, collecting its output; rejects when it fails or outlives `timeoutMs`. */
export async function runToEnd(child: ChildProcess, what: string, timeoutMs: number): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = await exitOf(child, timeoutMs);
  if (exit === undefined) {
    child.kill('SIGKILL');
    throw new Error(`${what} did not finish within ${Math.round(timeoutMs / 1000)} s`);
  }
  if (exit.code !== 0) throw new Error(`${what} failed (exit ${exit.code ?? exit.signal}):\n${tail(stderr || stdout)}`);
  return { ...exit, stdout, stderr };
}

/** A bench child that prints its result as one JSON line, last on stdout. */
export async function runJsonScript<T>(script: string, input: unknown, what: string, timeoutMs: number): Promise<T> {
  const { stdout } = await runToEnd(spawnScript(script, [JSON.stringify(input)]), what, timeoutMs);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${what} printed no JSON result:\n${tail(stdout)}`);
  }
}

/**
 * `ledger replay --json` run to its end: the report it prints last. Exit code 1 means a digest mismatch, still a
 * measurement, so a report printed before a failure is returned too.
 */
export async function replayReportOf<T>(child: ChildProcess, what: string, timeoutMs: number): Promise<T> {
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const finished = await runToEnd(child, what, timeoutMs).catch((error: unknown) => {
    if (stdout.includes('"eventsPerSecond"')) return { stdout };
    throw error;
  });
  const line = finished.stdout
    .trim()
    .split('\n')
    .findLast((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`${what} printed no JSON: ${finished.stdout.slice(-300)}`);
  return JSON.parse(line) as T;
}

export function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
