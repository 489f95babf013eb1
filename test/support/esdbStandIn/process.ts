// The stand-in in a process of its own (scripts/esdbStandIn.ts, as `npm run esdb:stand-in` runs it), for tests whose
// timing must be that of a remote server, not of the same event loop.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../../scripts/esdbStandIn.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface StandInProcess {
  readonly connectionString: string;
  readonly pid: number;
  /** Ends the process (SIGKILL unless told otherwise) and resolves with its exit code once it is gone. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `args` are the script's flags: --port N, --no-server-features, --no-caught-up, --max-append-size N. */
export async function spawnStandIn(args: readonly string[] = []): Promise<StandInProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  return connectionOf(child);
}

/** The first line the process prints is its connection string. */
export async function connectionOf(child: ReturnType<typeof spawn>): Promise<StandInProcess> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done === true) throw new Error('the stand-in process ended before it listened');
  return {
    connectionString: String(first.value),
    pid: child.pid!,
    kill: async (signal = 'SIGKILL') => {
      child.kill(signal);
      return exited;
    },
  };
}
