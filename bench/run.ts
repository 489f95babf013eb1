// `npm run bench`: one run that generates (or reuses) a ledger, starts the service on it and measures reads, writes,
// replay, start-up, export and as-of beside baselines taken in the same run, then heavy work on a ledger of its own
// (`--only heavy`: that alone), then the ledger on EventStoreDB through the real client against the stand-in
// (`--only esdb`: that alone); prints a table, writes results.json.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureBuilt } from './build.js';
import { killAllChildren } from './children.js';
import { cachedLedger, workingCopy } from './dataset.js';
import { describeMachine } from './machine.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { CACHE_ROOT, REPO_ROOT } from './paths.js';
import { formatSummary } from './profileSummary.js';
import { profiling } from './profiles.js';
import { formatTable, startFigure, verdict, type Figures, type MainFigures } from './report.js';
import { measureAsOf, type AsOfFigure } from './scenarios/asOf.js';
import { measureEsdb } from './scenarios/esdb.js';
import { measureExport } from './scenarios/exportCsv.js';
import { measureHeavy } from './scenarios/heavy.js';
import { measureMerkle } from './scenarios/merkle.js';
import { measureReads } from './scenarios/read.js';
import { measureReplay } from './scenarios/replay.js';
import { measureWrites } from './scenarios/write.js';
import { SERVICE_ENV, settled, snapshotFile, startService, stopService, type RunningService } from './service.js';

const began = performance.now();
const log = (line: string): void =>
  void process.stderr.write(`[bench ${((performance.now() - began) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);

/** How long the service may take to stop: it saves its snapshot first (close-with-grace gives it 10 s). */
const STOP_TIMEOUT_MS = 60_000;

async function main(options: BenchOptions): Promise<void> {
  const machineAtStart = describeMachine();
  const date = new Date().toISOString();
  const readyTimeoutMs = options.quick ? 120_000 : 1_200_000;
  const workDir = path.join(CACHE_ROOT, `work-${process.pid}`);
  const profiles = profiling(options.cpuProf, date);
  let running: RunningService | undefined;
  const interrupted = (signal: NodeJS.Signals): void => {
    killAllChildren();
    process.stderr.write(`bench: ${signal}, children stopped\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    log(`machine: ${machineAtStart.cpuCount} x ${machineAtStart.cpuModel}, load ${machineAtStart.loadAverage.join(' ')}`);
    const build = await ensureBuilt(options.build);
    if (build.rebuilt)
      log(`dist/ rebuilt in ${build.seconds.toFixed(1)} s${build.errors === undefined ? '' : ` WITH TYPE ERRORS:\n${build.errors}`}`);
    mkdirSync(CACHE_ROOT, { recursive: true });
    const main =
      options.only === undefined
        ? await measureMain(options, workDir, readyTimeoutMs, profiles, (service) => (running = service))
        : options.only === 'asof'
          ? { asOf: await measureAsOfOnly(options, readyTimeoutMs, profiles, (service) => (running = service)) }
          : undefined;
    running = undefined;
    const heavy =
      options.only === undefined || options.only === 'heavy'
        ? await measureHeavy(options, log, profiles?.argsFor('service-heavy'))
        : undefined;
    const esdb =
      options.only === undefined || options.only === 'esdb'
        ? await measureEsdb(options, log, profiles?.argsFor('service-esdb'))
        : undefined;
    const merkle = options.only === undefined || options.only === 'merkle' ? await measureMerkle(options, log) : undefined;
    const figures: Figures = { ...main, ...(heavy && { heavy }), ...(esdb && { esdb }), ...(merkle && { merkle }) };
    const { rows, targets } = verdict(figures);
    const wallSeconds = Math.round((performance.now() - began) / 100) / 10;
    const { loadAverage, ...machineFixed } = machineAtStart;
    const machine = { ...machineFixed, loadAverageAtStart: loadAverage, loadAverageAtEnd: describeMachine().loadAverage };
    const profileSummaries = profiles?.summaries() ?? [];
    for (const summary of profileSummaries) log(formatSummary(summary));
    const results = {
      date,
      wallSeconds,
      options,
      machine,
      build,
      service: { entry: 'node dist/server.js', env: SERVICE_ENV },
      figures,
      targets,
      passed: targets.filter((t) => t.pass).length,
      failed: targets.filter((t) => !t.pass).length,
      table: rows,
      ...(profiles !== undefined && { profiles: { dir: path.relative(REPO_ROOT, profiles.dir), summaries: profileSummaries } }),
    };
    const output = path.resolve(REPO_ROOT, options.output);
    writeFileSync(
      output,
      `${JSON.stringify(results, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`,
    );
    process.stdout.write(`\n${formatTable(rows)}\n\n`);
    process.stdout.write(
      `${results.passed} of ${targets.length} targets met. ${machine.cpuCount} x ${machine.cpuModel}, node ${machine.node}, ` +
        `${machine.totalMemoryMb} MB, load ${machine.loadAverageAtStart.join(' ')} at start. ${wallSeconds} s in all. ` +
        `Written to ${path.relative(REPO_ROOT, output)}.\n`,
    );
  } finally {
    if (running !== undefined) running.child.kill('SIGKILL');
    killAllChildren();
    if (options.keep && existsSync(workDir)) log(`kept the working data dir ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

/** Everything but the heavy scenario, on the main ledger; `track` is told which service runs (killed if the run fails). */
async function measureMain(
  options: BenchOptions,
  workDir: string,
  readyTimeoutMs: number,
  profiles: ReturnType<typeof profiling>,
  track: (service: RunningService | undefined) => void,
): Promise<MainFigures> {
  let running: RunningService | undefined;
  const dataset = await cachedLedger(options, log);
  log(`ledger: ${dataset.events} events${dataset.cached ? ' (cached)' : `, generated at ${dataset.generateEventsPerSecond} events/s`}`);
  workingCopy(dataset, workDir);

  log('start without a snapshot');
  const cold = await startService(workDir, { readyTimeoutMs, nodeArgs: profiles?.argsFor('service-cold') });
  running = cold.service;
  track(running);
  log(`ready in ${cold.readySeconds.toFixed(2)} s at position ${cold.position}, RSS ${cold.memory.rssMb} MB`);
  const service = running;
  const read = await measureReads(running, options, log);
  // The export before as-of: as-of leaves a heap full of garbage behind, which would blur the export's growth.
  const exported = await settled(service).then(() => measureExport(service, log));
  const write = await settled(service).then(() => measureWrites(service, options, log));

  log('stop (SIGTERM): the service saves its snapshot');
  const shutdown = await stopService(running, STOP_TIMEOUT_MS);
  running = undefined;
  log(`stopped in ${shutdown.seconds.toFixed(2)} s, snapshot ${shutdown.snapshotMb ?? 'none'} MB`);
  log('start with the snapshot');
  const warm = await startService(workDir, { readyTimeoutMs, nodeArgs: profiles?.argsFor('service-warm') });
  running = warm.service;
  track(running);
  log(`ready in ${warm.readySeconds.toFixed(2)} s, RSS ${warm.memory.rssMb} MB, snapshot ${warm.snapshotUsed ? 'used' : 'NOT used'}`);
  // As-of on a service started from its snapshot, nothing of the past cached: every answer read from the history.
  const restored = running;
  const asOf = await settled(restored).then(() => measureAsOf(restored, BigInt(warm.position), options, log));
  await stopService(running, STOP_TIMEOUT_MS);
  running = undefined;

  const replay = await measureReplay(workDir, { timeoutMs: readyTimeoutMs, nodeArgs: profiles?.argsFor('replay') }, log);

  const { dir: _dir, ...datasetFigures } = dataset;
  return {
    dataset: datasetFigures,
    read,
    write,
    replay,
    start: { withoutSnapshot: startFigure(cold), shutdown, withSnapshot: startFigure(warm) },
    export: exported,
    asOf,
  };
}

/**
 * `--only asof`: the uncached as-of figure on the main ledger, served from its snapshot. The cached ledger gets a
 * snapshot (and the history beside it) from one start without one, kept for the next run.
 */
async function measureAsOfOnly(
  options: BenchOptions,
  readyTimeoutMs: number,
  profiles: ReturnType<typeof profiling>,
  track: (service: RunningService | undefined) => void,
): Promise<AsOfFigure> {
  const dataset = await cachedLedger(options, log);
  // A copy of its own, kept between runs with its snapshot and history (the cached ledger itself stays untouched).
  const dir = `${dataset.dir}-asof`;
  // A ledger generated in this run replaces the copy of the one before.
  if (!dataset.cached) rmSync(dir, { recursive: true, force: true });
  if (!existsSync(dir)) workingCopy(dataset, dir);
  log(`ledger: ${dataset.events} events${dataset.cached ? ' (cached)' : ''}, served from ${dir}`);
  if (!existsSync(snapshotFile(dir))) {
    log('no snapshot yet: one start without it, then stop to save it');
    const cold = await startService(dir, { readyTimeoutMs });
    track(cold.service);
    log(`ready in ${cold.readySeconds.toFixed(2)} s`);
    await stopService(cold.service, STOP_TIMEOUT_MS);
  }
  const warm = await startService(dir, { readyTimeoutMs, nodeArgs: profiles?.argsFor('service-warm') });
  track(warm.service);
  log(`ready in ${warm.readySeconds.toFixed(2)} s, RSS ${warm.memory.rssMb} MB, snapshot ${warm.snapshotUsed ? 'used' : 'NOT used'}`);
  try {
    return await settled(warm.service).then(() => measureAsOf(warm.service, BigInt(warm.position), options, log));
  } finally {
    await stopService(warm.service, STOP_TIMEOUT_MS);
    track(undefined);
  }
}

try {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') process.stdout.write(`${USAGE}\n`);
  else await main(options);
} catch (error) {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
