// The stand-in in a process of its own, for tests whose timing must be that of a remote server, not of the same event loop.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const serverModule = pathToFileURL(fileURLToPath(new URL('./server.ts', import.meta.url))).href;
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface StandInProcess {
  readonly connectionString: string;
  kill(): Promise<void>;
}

export async function spawnStandIn(): Promise<StandInProcess> {
  const source = `
    const { startStandIn } = await import(${JSON.stringify(serverModule)});
    const standIn = await startStandIn();
    console.log(standIn.connectionString);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', source], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const [line] = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((result) => [result.value as string | undefined]);
  if (line === undefined) throw new Error('the stand-in process ended before it listened');
  return {
    connectionString: line,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
