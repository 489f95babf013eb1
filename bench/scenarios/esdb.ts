// The ledger on EventStoreDB (issue 16, section 5), through the real client (@eventstore/db-client over gRPC) against
// the test-only stand-in (`scripts/esdbStandIn.ts`) in a process of its own:
// - fill: the synthetic ledger `ledger generate` writes (80,000 announcements, 100,116 events; 16,000 and about 20,000
//   with --quick), appended through the adapter with 50 appends in flight (load/esdbFill.ts, its own process);
// - catch-up: the service started on it with a fresh data dir (no snapshot): spawn to the first 200 of /health/ready,
//   events/s over the events the fill wrote;
// - writes: POST /announcements, 50 connections (autocannon in its own process, as scenarios/write.ts), and the
//   stand-in's own counts before and after (it prints them on SIGUSR2 with --print-counts): the appends it served by
//   BatchAppend (the client's production write path) and by Append;
// - replay: the service stopped (it saves its snapshot), then `ledger replay --json` through the client, which reads
//   the whole of $all and compares its digest with the snapshot.
// What this shows and does not: the client's cost (gRPC, protobuf, the adapter's paging and mapping) and the ledger's
// own are real; a server's (storage, indexes, fsync, replication) is not there at all, since the stand-in keeps its
// events in memory, and its own CPU shares the machine with the service. No targets: informational figures, apart
// from the check that BatchAppend served the writes.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { exitOf, runJsonScript, replayReportOf, spawnChild, spawnScript, tail } from '../children.js';
import { getJson } from '../http.js';
import type { FillResult, FillSpec } from '../load/esdbFill.js';
import { runLoad } from '../load/run.js';
import type { LoadResult } from '../load/spec.js';
import type { BenchOptions } from '../options.js';
import { benchScript, CACHE_ROOT, CLI_ENTRY, REPO_ROOT } from '../paths.js';
import { cpuSecondsOf, memoryOf } from '../procfs.js';
import { authorization, settled, startService, stopService, type RunningService, type Stopped } from '../service.js';
import { round2 } from '../stats.js';

/** What the stand-in says it has served (test/support/esdbStandIn/server.ts: `calls` and `appendsServed`). */
export interface StandInCounts {
  readonly calls: Readonly<Record<string, number>>;
  readonly appendsServed: { readonly append: number; readonly batchAppend: number };
}

export interface EsdbFigure {
  readonly caveat: string;
  readonly standIn: { readonly script: string; readonly rssMbAtEnd: number; readonly counts: StandInCounts };
  readonly fill: FillResult;
  readonly catchUp: {
    readonly events: number;
    /** Spawn to the first 200 of /health/ready: process start, opening the store, the catch-up, the listener. */
    readonly readySeconds: number;
    readonly eventsPerSecond: number;
    /** The commit position /health/ready reported (a position in $all, not a count of events). */
    readonly position: string;
    readonly rssMb: number;
    readonly cpuSeconds: { readonly service: number; readonly standIn: number };
  };
  readonly write: {
    readonly connections: number;
    readonly load: LoadResult;
    /** Appends the stand-in served during the load, warm-up included, by RPC. */
    readonly appendsServed: { readonly batchAppend: number; readonly append: number };
    readonly batchAppendCalls: number;
    /** Append served none, and BatchAppend at least as many as the load's measured 2xx. */
    readonly servedByBatchAppend: boolean;
    readonly cpuSeconds: { readonly service: number; readonly standIn: number };
  };
  readonly stop: Stopped;
  readonly replay: {
    readonly events: number;
    readonly eventsPerSecond: number;
    readonly seconds: number;
    readonly digestMatch: boolean;
    readonly comparedWithSnapshot: boolean;
  };
}

export const ESDB_CAVEAT =
  'EventStoreDB through the real client against the test-only stand-in in its own process: the client cost (gRPC, protobuf, the adapter) is real; ' +
  "a server's (storage, index, fsync, replication) is not: the stand-in keeps events in memory, and shares the 2 cores with the service";

const STAND_IN_SCRIPT = path.join(REPO_ROOT, 'scripts', 'esdbStandIn.ts');
const FILL_IN_FLIGHT = 50;
const STOP_TIMEOUT_MS = 60_000;

export async function measureEsdb(options: BenchOptions, log: (line: string) => void, nodeArgs?: readonly string[]): Promise<EsdbFigure> {
  const workDir = path.join(CACHE_ROOT, `work-esdb-${process.pid}`);
  rmSync(workDir, { recursive: true, force: true });
  for (const dir of ['fill', 'service']) mkdirSync(path.join(workDir, dir), { recursive: true });
  const standIn = await StandInProcess.start();
  let service: RunningService | undefined;
  try {
    log(
      `esdb: stand-in ${standIn.connectionString} (pid ${standIn.pid}); filling it with ${options.esdbAnnouncements} announcements, ${FILL_IN_FLIGHT} appends in flight`,
    );
    const fillSpec: FillSpec = {
      connectionString: standIn.connectionString,
      dataDir: path.join(workDir, 'fill'),
      announcements: options.esdbAnnouncements,
      seed: options.seed,
      inFlight: FILL_IN_FLIGHT,
    };
    const fill = await runJsonScript<FillResult>(benchScript('load/esdbFill.ts'), fillSpec, 'the EventStoreDB fill', 600_000);
    log(`esdb: filled ${fill.events} events in ${fill.streams} streams in ${fill.seconds} s (${fill.eventsPerSecond} events/s)`);

    const env = { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: standIn.connectionString };
    const standInCpu0 = cpuSecondsOf(standIn.pid);
    const started = await startService(path.join(workDir, 'service'), { readyTimeoutMs: 600_000, env, ...(nodeArgs && { nodeArgs }) });
    service = started.service;
    const running = service;
    const catchUpCpu = { service: round2(cpuSecondsOf(running.pid)), standIn: round2(cpuSecondsOf(standIn.pid) - standInCpu0) };
    const catchUp = {
      events: fill.events,
      readySeconds: round2(started.readySeconds),
      eventsPerSecond: Math.round(fill.events / started.readySeconds),
      position: started.position,
      rssMb: started.memory.rssMb,
      cpuSeconds: catchUpCpu,
    };
    log(
      `esdb: service ready in ${catchUp.readySeconds} s (${catchUp.eventsPerSecond} events/s), RSS ${catchUp.rssMb} MB, CPU ${catchUpCpu.service} s service, ${catchUpCpu.standIn} s stand-in`,
    );

    await settled(running);
    const headers = authorization(running);
    const { items } = await getJson<{ items: { code: string }[] }>(`${running.baseUrl}/programmes`, headers);
    const before = await standIn.counts();
    const cpuBefore = { service: cpuSecondsOf(running.pid), standIn: cpuSecondsOf(standIn.pid) };
    log(`esdb: POST /announcements, ${options.connections} connections, ${options.loadSeconds} s`);
    const load = await runLoad(
      {
        url: `${running.baseUrl}/announcements`,
        headers,
        connections: options.connections,
        seconds: options.loadSeconds,
        warmupSeconds: options.warmupSeconds,
        kind: 'announce',
        programmes: items.map((item) => item.code),
      },
      'POST /announcements on EventStoreDB',
    );
    const writeCpu = {
      service: round2(cpuSecondsOf(running.pid) - cpuBefore.service),
      standIn: round2(cpuSecondsOf(standIn.pid) - cpuBefore.standIn),
    };
    const after = await standIn.counts();
    const appendsServed = {
      batchAppend: after.appendsServed.batchAppend - before.appendsServed.batchAppend,
      append: after.appendsServed.append - before.appendsServed.append,
    };
    const servedByBatchAppend = appendsServed.append === 0 && appendsServed.batchAppend >= load.ok && load.ok > 0;
    const write = {
      connections: options.connections,
      load,
      appendsServed,
      batchAppendCalls: (after.calls.batchAppend ?? 0) - (before.calls.batchAppend ?? 0),
      servedByBatchAppend,
      cpuSeconds: writeCpu,
    };
    log(
      `esdb: ${load.requestsPerSecond} 2xx/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms; the stand-in served ${appendsServed.batchAppend} appends by BatchAppend, ` +
        `${appendsServed.append} by Append; CPU ${writeCpu.service} s service, ${writeCpu.standIn} s stand-in`,
    );

    log('esdb: stop (SIGTERM): the service saves its snapshot');
    const stop = await stopService(running, STOP_TIMEOUT_MS);
    service = undefined;
    log('esdb: ledger replay --json through the client');
    const replay = await replayThroughClient(path.join(workDir, 'service'), env);
    log(
      `esdb: replay ${replay.events} events at ${replay.eventsPerSecond} events/s, digest ${replay.digestMatch ? 'matches' : 'DOES NOT MATCH'} the snapshot`,
    );

    const rssMbAtEnd = memoryOf(standIn.pid).rssMb;
    const counts = await standIn.stop();
    return {
      caveat: ESDB_CAVEAT,
      standIn: { script: path.relative(REPO_ROOT, STAND_IN_SCRIPT), rssMbAtEnd, counts },
      fill,
      catchUp,
      write,
      stop,
      replay,
    };
  } finally {
    if (service !== undefined) await stopService(service, STOP_TIMEOUT_MS);
    standIn.kill();
    if (options.keep) log(`esdb: kept the working data dir ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

async function replayThroughClient(dataDir: string, env: Record<string, string>): Promise<EsdbFigure['replay']> {
  const child = spawnChild(process.execPath, [CLI_ENTRY, '--data-dir', dataDir, 'replay', '--json'], { env: { ...process.env, ...env } });
  const report = await replayReportOf<{
    match: boolean;
    events: number;
    eventsPerSecond: number;
    seconds: number;
    expectedDigest?: string | null;
  }>(child, 'ledger replay on EventStoreDB', 600_000);
  return {
    events: report.events,
    eventsPerSecond: report.eventsPerSecond,
    seconds: report.seconds,
    digestMatch: report.match,
    comparedWithSnapshot: report.expectedDigest !== undefined && report.expectedDigest !== null,
  };
}

/** `scripts/esdbStandIn.ts --print-counts` as a child: its first line is the connection string, each later one counts. */
class StandInProcess {
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly connectionString: string,
    readonly pid: number,
  ) {}

  static async start(): Promise<StandInProcess> {
    const child = spawnScript(STAND_IN_SCRIPT, ['--print-counts']);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const lines = createInterface({ input: child.stdout! });
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stand-in printed no connection string within 60 s:\n${tail(stderr)}`)), 60_000);
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the stand-in exited (${code}) before it listened:\n${tail(stderr)}`));
      });
    });
    const standIn = new StandInProcess(child, first.trim(), child.pid as number);
    child.stderr?.on('data', (chunk: string) => (standIn.stderr += chunk));
    lines.on('line', (line) => standIn.waiting.shift()?.(line));
    return standIn;
  }

  /** SIGUSR2: the stand-in prints what it has served so far. */
  counts(): Promise<StandInCounts> {
    const next = this.nextLine();
    this.child.kill('SIGUSR2');
    return next;
  }

  /** SIGTERM: it prints its counts once more and exits. */
  async stop(): Promise<StandInCounts> {
    const next = this.nextLine();
    this.child.kill('SIGTERM');
    const counts = await next;
    await exitOf(this.child, 10_000);
    return counts;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private nextLine(): Promise<StandInCounts> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the stand-in printed no counts within 10 s:\n${tail(this.stderr)}`)), 10_000);
      this.waiting.push((line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as StandInCounts);
        } catch {
          reject(new Error(`the stand-in printed something other than its counts: ${line.slice(0, 200)}`));
        }
      });
    });
  }
}
