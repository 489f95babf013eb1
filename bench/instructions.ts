// Instructions per cached read, counted by callgrind: the ledger's GET beside the bare route's, the same bytes. Unlike
// requests a second, an instruction count barely moves with what else the machine is doing, so a change to the read
// path can be judged by one run of each build. `npx tsx bench/instructions.ts --help`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { killAllChildren, spawnChild } from './children.js';
import { ensureBuilt } from './build.js';
import { cachedLedger, workingCopy } from './dataset.js';
import { freePort, request } from './http.js';
import { CACHE_ROOT, SERVER_ENTRY, benchScript } from './paths.js';
import { SERVICE_ENV, authorization, startService, stopService } from './service.js';

const USAGE = `npx tsx bench/instructions.ts [--path P] [--requests N] [--announcements N]
  --path           the read to count (default /totals?groupBy=programme)
  --requests       requests counted, after as many unmeasured to warm the JIT up (default 20,000)
  --announcements  size of the generated ledger it reads (default 80,000, the --quick bench's)
Needs valgrind. About four minutes; prints instructions per request of the ledger and of the bare route. Rebuilds
dist/ first when a file under src/ is newer, as the bench does.`;

interface Counted {
  readonly requests: number;
  /** Instructions per request in each window. */
  readonly windows: readonly number[];
  /** The least of them. */
  readonly instructionsPerRequest: number;
}

const log = (line: string): void => void process.stderr.write(`[instructions] ${line}\n`);

function load(url: string, headers: Record<string, string>, amount: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, headers, connections: 10, amount }, (error: unknown, result) =>
      error ? reject(error instanceof Error ? error : new Error('autocannon failed')) : resolve(result),
    );
  });
}

async function untilServed(url: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const answer = await request(url, { headers }).catch(() => undefined);
    if (answer?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${url} was not served within ${timeoutMs / 1000} s under valgrind`);
}

/** The program total of one dump (callgrind numbers them from 1); 0 while it is not written whole yet. */
function instructionsOfDump(prefix: string, part: number): number {
  try {
    const annotated = execFileSync('callgrind_annotate', [`${prefix}.${part}`], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const match = /([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/.exec(annotated);
    return match?.[1] === undefined ? 0 : Number(match[1].replaceAll(',', ''));
  } catch {
    return 0;
  }
}

/** The dump is written after callgrind_control returns: waits until its count can be read. */
async function dumped(prefix: string, part: number): Promise<number> {
  for (let attempt = 0; attempt < 120; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const total = instructionsOfDump(prefix, part);
    if (total > 0) return total;
  }
  throw new Error(`callgrind wrote no counts to ${prefix}.${part}`);
}

/** Windows counted one after another; the least is reported, since the JIT may still compile during the first. */
const WINDOWS = 3;

/**
 * Runs `command` under callgrind with instrumentation off, warms it up, then counts WINDOWS windows of `requests`
 * GETs of `url`, each dumped on its own.
 */
async function count(
  command: readonly string[],
  env: NodeJS.ProcessEnv,
  url: string,
  headers: Record<string, string>,
  requests: number,
  outDir: string,
  name: string,
): Promise<Counted> {
  const prefix = path.join(outDir, `callgrind.${name}`);
  const child = spawnChild('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${prefix}`, ...command], {
    env,
    stdio: 'ignore',
  });
  try {
    await untilServed(url, headers, 600_000);
    log(`${name}: warming up with ${requests} requests`);
    await load(url, headers, requests);
    const pid = String(child.pid);
    // vgdb names its pipes after USER and HOST: callgrind_control finds them only with the child's environment.
    const control = (command: string): void => void execFileSync('callgrind_control', [command, pid], { env, stdio: 'ignore' });
    const windows: number[] = [];
    for (let window = 1; window <= WINDOWS; window += 1) {
      log(`${name}: counting ${requests} requests (${window} of ${WINDOWS})`);
      control('--instr=on');
      const result = await load(url, headers, requests);
      control('--instr=off');
      control('--dump');
      if (result['2xx'] !== requests) throw new Error(`${name}: ${result['2xx']} of ${requests} answers were 2xx`);
      windows.push(Math.round((await dumped(prefix, window)) / requests));
    }
    return { requests, windows, instructionsPerRequest: Math.min(...windows) };
  } finally {
    child.kill('SIGKILL');
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { path: { type: 'string' }, requests: { type: 'string' }, announcements: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const route = values.path ?? '/totals?groupBy=programme';
  const requests = Number(values.requests ?? 20_000);
  const announcements = Number(values.announcements ?? 80_000);
  if (!Number.isSafeInteger(requests) || requests <= 0 || !Number.isSafeInteger(announcements) || announcements <= 0)
    throw new Error(USAGE);

  await ensureBuilt('auto');
  const dataset = await cachedLedger({ announcements, seed: 1, fresh: false }, log);
  const work = mkdtempSync(path.join(CACHE_ROOT, 'instructions-'));
  try {
    const dataDir = workingCopy(dataset, path.join(work, 'data'));
    // Started once without valgrind, so the counted start restores a snapshot instead of folding every event slowly.
    log('starting the service once to save a snapshot and take the answer');
    const { service } = await startService(dataDir, { readyTimeoutMs: 120_000 });
    const headers = authorization(service);
    const answer = await request(`${service.baseUrl}${route}`, { headers });
    if (answer.status !== 200) throw new Error(`GET ${route}: ${answer.status} ${answer.body.slice(0, 300)}`);
    await stopService(service, 60_000);
    const bodyFile = path.join(work, 'body.json');
    writeFileSync(bodyFile, answer.body);

    const port = await freePort();
    const env = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ...SERVICE_ENV };
    const ledger = await count(
      [process.execPath, SERVER_ENTRY],
      env,
      `http://127.0.0.1:${port}${route}`,
      headers,
      requests,
      work,
      'ledger',
    );

    const barePort = await freePort();
    const bareArgs = [
      process.execPath,
      '--import',
      'tsx',
      benchScript('load/bareServer.ts'),
      JSON.stringify({ bodies: { [route]: bodyFile }, port: barePort }),
    ];
    const bare = await count(bareArgs, process.env, `http://127.0.0.1:${barePort}${route}`, {}, requests, work, 'bare');

    const ratio = Math.round((bare.instructionsPerRequest / ledger.instructionsPerRequest) * 1000) / 1000;
    process.stdout.write(
      `${JSON.stringify({ path: route, bodyBytes: Buffer.byteLength(answer.body), ledger, bare, bareOverLedger: ratio, node: process.version, date: new Date().toISOString() })}\n`,
    );
  } finally {
    killAllChildren();
    rmSync(work, { recursive: true, force: true });
  }
}

await main().catch((error: unknown) => {
  killAllChildren();
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
