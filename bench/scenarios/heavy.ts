// Heavy work on its own ledger of about 60,000 events (`ledger generate --announcements 50000 --seed 1`), on its own
// service, in two parts (issue 15):
// - memory: 500 distinct heavy queries (/totals and /exports/totals.csv over groupBy combinations, currencies, years,
//   programme/country/funder filters and as-of positions), 8 in flight across the 4 read keys, with the service's
//   resident set sampled every 100 ms: before, the peak during, and once idle for 15 s after;
// - liveness: 20 heavy reads of mixed kinds kept in flight (4 read keys and 1 audit key, 4 each; each finished one
//   replaced by another, distinct where the route takes options) for 20 s (10 s quick), while this process, which
//   downloads none of the heavy bodies, probes /health/live every 10 ms.
// The heavy clients run in their own process (load/heavyClients.ts). Memory runs first, on a service fresh from its
// start, so that "before" is the resident set of a service that has done no heavy work yet.
import http from 'node:http';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { Config } from '../../src/config.js';
import { exitOf, spawnScript, tail } from '../children.js';
import { cachedLedger, workingCopy, type Dataset } from '../dataset.js';
import { getJson, request, requestServed } from '../http.js';
import type { HeavyClient, HeavyRequest, HeavyResult, HeavySpec } from '../load/heavySpec.js';
import type { BenchOptions } from '../options.js';
import { benchScript, CACHE_ROOT, REPO_ROOT } from '../paths.js';
import { memoryOf, round1, sampleRss } from '../procfs.js';
import { authorization, SERVICE_ENV, settled, startService, stopService, type RunningService } from '../service.js';
import { percentile, round2, seededRandom } from '../stats.js';

/** The service's limits and cache bounds in this run, as the built service reads them from the environment. */
export interface HeavySettings {
  readonly heavyConcurrency: number;
  readonly heavyQueue: number;
  readonly heavyPerClient: number;
  readonly heavyReadsPerMinute: number;
  readonly totalsCacheBytes: number;
  readonly asOfCacheBytes: number;
  readonly cacheEntryMaxBytes: number;
}

export interface LivenessFigure {
  /** How long the heavy clients kept `inFlight` requests going; past it they start no more and the rest finish. */
  readonly heldSeconds: number;
  /** From the first heavy request to the last one's end: the probes cover all of it. */
  readonly loadSeconds: number;
  readonly inFlight: number;
  readonly clients: number;
  readonly probeEveryMs: number;
  readonly probes: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Probes answered with anything but 200 (0: the connection failed). */
  readonly non200: number;
  readonly probeStatuses: Record<string, number>;
  /** The probes sent while every client still had its full share in flight (the first `heldSeconds`). */
  readonly held: { readonly probes: number; readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  /** The slowest probes: when they were sent (seconds after the first heavy request) and how long they took. */
  readonly slowest: readonly { readonly atSeconds: number; readonly ms: number }[];
  readonly heavy: HeavyResult;
}

export interface MemoryFigure {
  readonly queries: number;
  readonly inFlight: number;
  readonly rssBeforeMb: number;
  readonly rssPeakMb: number;
  readonly idleSeconds: number;
  /** The resident set once idle for `idleSeconds` after the load. */
  readonly rssAfterMb: number;
  /** rssAfterMb - rssBeforeMb. */
  readonly rssGrowthMb: number;
  /** The allowed growth (the target): after <= before + this. */
  readonly allowedGrowthMb: number;
  readonly samples: number;
  readonly heavy: HeavyResult;
}

export interface HeavyFigure {
  readonly dataset: Omit<Dataset, 'dir'>;
  readonly settings: HeavySettings;
  readonly readySeconds: number;
  readonly rssReadyMb: number;
  readonly memory: MemoryFigure;
  readonly liveness: LivenessFigure;
}

/** The targets of issue 15. */
export const HEAVY_TARGETS = { liveP99Ms: 50, peakRssMb: 500, allowedGrowthMb: 150 } as const;

const PROBE_EVERY_MS = 10;
const READERS = 4;
const PER_CLIENT = 4;
const MEMORY_PER_KEY = 2;
const DIMENSIONS = ['programme', 'country', 'year', 'fiscalYear', 'funder', 'currency'] as const;
const STOP_TIMEOUT_MS = 60_000;

export async function measureHeavy(options: BenchOptions, log: (line: string) => void, nodeArgs?: readonly string[]): Promise<HeavyFigure> {
  const dataset = await cachedLedger({ announcements: options.heavyAnnouncements, seed: options.seed, fresh: options.fresh }, log);
  log(
    `heavy: ledger ${dataset.events} events${dataset.cached ? ' (cached)' : `, generated at ${dataset.generateEventsPerSecond} events/s`}`,
  );
  const workDir = path.join(CACHE_ROOT, `work-heavy-${process.pid}`);
  workingCopy(dataset, workDir);
  let service: RunningService | undefined;
  try {
    const started = await startService(workDir, { readyTimeoutMs: 300_000, ...(nodeArgs && { nodeArgs }) });
    service = started.service;
    const running = service;
    log(`heavy: service ready in ${started.readySeconds.toFixed(2)} s at position ${started.position}, RSS ${started.memory.rssMb} MB`);
    const settings = await settingsOf(workDir);
    const keys = await keysFor(running);
    const universe = await universeOf(running, BigInt(started.position));

    const memory = await measureMemory(running, workDir, keys.readers, universe, options, log);
    await settled(running);
    const liveness = await measureLiveness(running, workDir, keys, universe, options, log);

    const { dir: _dir, ...datasetFigures } = dataset;
    return {
      dataset: datasetFigures,
      settings,
      readySeconds: round2(started.readySeconds),
      rssReadyMb: started.memory.rssMb,
      memory,
      liveness,
    };
  } finally {
    if (service !== undefined) await stopService(service, STOP_TIMEOUT_MS);
    if (options.keep) log(`heavy: kept the working data dir ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

// --- Settings and keys, from the built service and CLI (dist/), which is what runs -----------------------------------

async function fromDist<T>(relative: string): Promise<T> {
  return (await import(pathToFileURL(path.join(REPO_ROOT, 'dist', relative)).href)) as T;
}

async function settingsOf(dataDir: string): Promise<HeavySettings> {
  const { loadConfig } = await fromDist<{ loadConfig: (env: Record<string, string | undefined>) => Config }>('config.js');
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir, ...SERVICE_ENV });
  return {
    heavyConcurrency: config.heavy.concurrency,
    heavyQueue: config.heavy.queue,
    heavyPerClient: config.heavy.perClient,
    heavyReadsPerMinute: config.heavy.perMinute,
    totalsCacheBytes: config.cacheBytes.totals,
    asOfCacheBytes: config.cacheBytes.asOf,
    cacheEntryMaxBytes: config.cacheBytes.entryMax,
  };
}

/** The memory part uses the readers' keys too: it is over, their per-key shares free, before the liveness part. */
interface Keys {
  readonly readers: readonly string[];
  readonly auditor: string;
}

/**
 * Keys made over HTTP with the admin key (`POST /admin/keys`), as an operator does while the service holds the
 * embedded store; each is checked against the service before the load.
 */
async function keysFor(service: RunningService): Promise<Keys> {
  const create = async (name: string, scopes: readonly string[]): Promise<string> => {
    const answer = await request(`${service.baseUrl}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${service.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, scopes }),
    });
    const key = answer.status === 201 ? (JSON.parse(answer.body) as { key?: unknown }).key : undefined;
    if (typeof key !== 'string') throw new Error(`POST /admin/keys for ${name} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    return key;
  };
  const readers: string[] = [];
  for (let i = 0; i < READERS; i += 1) readers.push(await create(`bench-reader-${i}`, ['read']));
  const auditor = await create('bench-auditor', ['read', 'audit']);
  for (const key of [...readers, auditor]) {
    const answer = await requestServed(
      `${service.baseUrl}/programmes`,
      { headers: { authorization: `Bearer ${key}` } },
      { attempts: 30, waitMs: 100 },
    );
    if (answer.status !== 200)
      throw new Error(`the service refused a key made by ledger keys create: ${answer.status} ${answer.body.slice(0, 200)}`);
  }
  return { readers, auditor };
}

// --- What there is to ask about ----------------------------------------------------------------------------------------

interface Universe {
  readonly head: bigint;
  readonly programmes: readonly string[];
  readonly countries: readonly string[];
  readonly funders: readonly string[];
  readonly years: readonly number[];
}

async function universeOf(service: RunningService, head: bigint): Promise<Universe> {
  const headers = authorization(service);
  const { items } = await getJson<{ items: { code: string }[] }>(`${service.baseUrl}/programmes`, headers);
  const values = async <T>(dimension: string): Promise<T[]> => {
    const { rows } = await getJson<{ rows: Record<string, unknown>[] }>(`${service.baseUrl}/totals?groupBy=${dimension}`, headers);
    return rows.map((row) => row[dimension] as T).filter((value) => value !== undefined);
  };
  const countries = (await values<string>('country')).filter((code) => code !== 'unallocated');
  return {
    head,
    programmes: items.map((p) => p.code),
    countries,
    funders: await values<string>('funder'),
    years: await values<number>('year'),
  };
}

/** Distinct filters: year ranges, alone or with a programme, country or funder. */
function filterOf(random: () => number, universe: Universe): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const parts: string[] = [];
  const from = pick(universe.years);
  const to = pick(universe.years.filter((year) => year >= from));
  const yearShape = random();
  if (yearShape < 0.4) parts.push(`yearFrom=${from}`, `yearTo=${to}`);
  else if (yearShape < 0.6) parts.push(`yearFrom=${from}`);
  else if (yearShape < 0.8) parts.push(`yearTo=${to}`);
  const other = random();
  if (other < 0.25) parts.push(`programme=${encodeURIComponent(pick(universe.programmes))}`);
  else if (other < 0.5) parts.push(`country=${pick(universe.countries)}`);
  else if (other < 0.65) parts.push(`funder=${pick(universe.funders)}`);
  return parts.join('&');
}

/** A groupBy of `size` dimensions in a random order. */
function groupByOf(random: () => number, size: number): string {
  const dims = [...DIMENSIONS];
  for (let i = dims.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [dims[i], dims[j]] = [dims[j] as (typeof DIMENSIONS)[number], dims[i] as (typeof DIMENSIONS)[number]];
  }
  return dims.slice(0, size).join(',');
}

function positionOf(random: () => number, head: bigint): string {
  return (1n + BigInt(Math.floor(random() * Number(head)))).toString();
}

/** Calls `make` until it has given `count` distinct paths (or gives up after many repeats). */
function distinct(count: number, make: () => HeavyRequest, seen = new Set<string>()): HeavyRequest[] {
  const out: HeavyRequest[] = [];
  for (let tries = 0; out.length < count && tries < count * 50; tries += 1) {
    const next = make();
    if (seen.has(next.path)) continue;
    seen.add(next.path);
    out.push(next);
  }
  return out;
}

const withQuery = (base: string, ...parts: string[]): string => {
  const query = parts.filter((part) => part !== '').join('&');
  return query === '' ? base : `${base}?${query}`;
};

// --- Memory ------------------------------------------------------------------------------------------------------------

/** A mix of /totals and /exports/totals.csv, about one in seven as of a past position. */
export function memoryQueries(universe: Universe, count: number, seed: number): HeavyRequest[] {
  const random = seededRandom(seed + 15_000);
  return distinct(count, () => {
    const csv = random() < 0.4;
    const parts = [`groupBy=${groupByOf(random, 1 + Math.floor(random() * 5))}`];
    const currency = random();
    if (currency < 0.35) parts.push('currency=EUR');
    else if (currency < 0.6) parts.push('currency=GBP');
    parts.push(filterOf(random, universe));
    const asOf = random() < 0.15;
    if (asOf) parts.push(`asOf=${positionOf(random, universe.head)}`);
    return {
      kind: `${csv ? 'exports/totals.csv' : 'totals'}${asOf ? ' asOf' : ''}`,
      path: withQuery(csv ? '/exports/totals.csv' : '/totals', ...parts),
    };
  });
}

async function measureMemory(
  service: RunningService,
  workDir: string,
  keys: readonly string[],
  universe: Universe,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<MemoryFigure> {
  const queries = memoryQueries(universe, options.heavyQueries, options.seed);
  const clients: HeavyClient[] = keys.map((key, index) => ({
    key,
    inFlight: MEMORY_PER_KEY,
    requests: queries.filter((_, i) => i % keys.length === index),
  }));
  const inFlight = clients.reduce((sum, client) => sum + client.inFlight, 0);
  log(`heavy memory: ${queries.length} distinct heavy queries, ${inFlight} in flight over ${keys.length} keys, RSS every 100 ms`);
  const before = memoryOf(service.pid).rssMb;
  const sampler = sampleRss(service.pid, 100);
  let heavy: HeavyResult;
  try {
    heavy = await runHeavyClients(path.join(workDir, 'heavy-memory.json'), { baseUrl: service.baseUrl, clients }, () => undefined);
  } finally {
    sampler.stop();
  }
  const { maxRssMb, samples } = sampler.stop();
  log(
    `heavy memory: ${heavy.requests} done in ${heavy.seconds} s (${statusText(heavy)}), RSS ${before} -> peak ${maxRssMb} MB; idle ${options.heavyIdleSeconds} s`,
  );
  await new Promise((resolve) => setTimeout(resolve, options.heavyIdleSeconds * 1000));
  const after = memoryOf(service.pid).rssMb;
  log(`heavy memory: RSS after ${options.heavyIdleSeconds} s idle ${after} MB`);
  return {
    queries: queries.length,
    inFlight,
    rssBeforeMb: before,
    rssPeakMb: maxRssMb,
    idleSeconds: options.heavyIdleSeconds,
    rssAfterMb: after,
    rssGrowthMb: round1(after - before),
    allowedGrowthMb: HEAVY_TARGETS.allowedGrowthMb,
    samples,
    heavy,
  };
}

// --- Liveness ----------------------------------------------------------------------------------------------------------

/**
 * Per reader: the CSV of announcements, a totals CSV of 4-5 dimensions with a currency, an uncached /totals of 5
 * dimensions in EUR, and an as-of, in turn; the auditor: the events CSV, the audit export, the audit replay and a
 * journal search that matches nothing (it reads the whole history). Totals and as-of are distinct throughout, so that
 * none is served from a cache.
 */
function livenessClients(keys: Keys, universe: Universe, perClient: number, seed: number): HeavyClient[] {
  const random = seededRandom(seed + 20_000);
  const seen = new Set<string>();
  const one = (make: () => HeavyRequest): HeavyRequest => distinct(1, make, seen)[0] ?? make();
  const readerTurns: (() => HeavyRequest)[] = [
    () => ({
      kind: 'exports/announcements.csv',
      path: random() < 0.5 ? '/exports/announcements.csv' : '/exports/announcements.csv?bom=true',
    }),
    () =>
      one(() => ({
        kind: 'exports/totals.csv',
        path: withQuery(
          '/exports/totals.csv',
          `groupBy=${groupByOf(random, 4 + Math.floor(random() * 2))}`,
          `currency=${random() < 0.5 ? 'EUR' : 'GBP'}`,
          filterOf(random, universe),
        ),
      })),
    () =>
      one(() => ({
        kind: 'totals (5 dims, EUR)',
        path: withQuery('/totals', 'groupBy=programme,country,year,funder,currency', 'currency=EUR', filterOf(random, universe)),
      })),
    () => one(() => ({ kind: 'totals asOf', path: `/totals?groupBy=country,year&asOf=${positionOf(random, universe.head)}` })),
  ];
  const auditorTurns: (() => HeavyRequest)[] = [
    () => ({ kind: 'exports/events.csv', path: '/exports/events.csv' }),
    () => ({ kind: 'audit/export', path: '/audit/export' }),
    () => ({ kind: 'audit/replay', path: '/audit/replay', method: 'POST' }),
    () => ({ kind: 'events (no match)', path: `/events?limit=1000&actor=nobody-${Math.floor(random() * 1e9)}` }),
  ];
  const list = (turns: readonly (() => HeavyRequest)[]): HeavyRequest[] =>
    Array.from({ length: perClient }, (_, i) => (turns[i % turns.length] as () => HeavyRequest)());
  return [
    ...keys.readers.map((key) => ({ key, inFlight: PER_CLIENT, requests: list(readerTurns) })),
    { key: keys.auditor, inFlight: PER_CLIENT, requests: list(auditorTurns) },
  ];
}

async function measureLiveness(
  service: RunningService,
  workDir: string,
  keys: Keys,
  universe: Universe,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<LivenessFigure> {
  // More than the load can get through: a list that ran out would leave fewer in flight (listsRanOut says so).
  const clients = livenessClients(keys, universe, options.heavySeconds * 40, options.seed);
  const inFlight = clients.reduce((sum, client) => sum + client.inFlight, 0);
  log(
    `heavy liveness: ${inFlight} heavy reads in flight over ${clients.length} keys for ${options.heavySeconds} s, /health/live every ${PROBE_EVERY_MS} ms`,
  );
  const probes: { status: number; ms: number; at: number }[] = [];
  let goAt = 0;
  let stopProbing = false;
  let probing: Promise<void> | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const probeLoop = async (): Promise<void> => {
    const url = `${service.baseUrl}/health/live`;
    while (!stopProbing) {
      const sent = performance.now();
      const answer = await request(url, { agent }).catch(() => ({ status: 0, ms: performance.now() - sent }));
      probes.push({ status: answer.status, ms: answer.ms, at: sent - goAt });
      const wait = sent + PROBE_EVERY_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  let heavy: HeavyResult;
  try {
    heavy = await runHeavyClients(
      path.join(workDir, 'heavy-liveness.json'),
      { baseUrl: service.baseUrl, clients, seconds: options.heavySeconds },
      () => {
        goAt = performance.now();
        probing = probeLoop();
      },
    );
  } finally {
    stopProbing = true;
    await probing;
    agent.destroy();
  }
  const timings = probes.map((probe) => probe.ms);
  const probeStatuses: Record<string, number> = {};
  for (const { status } of probes) probeStatuses[String(status)] = (probeStatuses[String(status)] ?? 0) + 1;
  const held = probes.filter((probe) => probe.at < options.heavySeconds * 1000).map((probe) => probe.ms);
  const figure: LivenessFigure = {
    heldSeconds: options.heavySeconds,
    loadSeconds: heavy.seconds,
    inFlight,
    clients: clients.length,
    probeEveryMs: PROBE_EVERY_MS,
    probes: probes.length,
    p50Ms: round2(percentile(timings, 50)),
    p99Ms: round2(percentile(timings, 99)),
    maxMs: round2(Math.max(0, ...timings)),
    non200: probes.filter((probe) => probe.status !== 200).length,
    probeStatuses,
    held: {
      probes: held.length,
      p50Ms: round2(percentile(held, 50)),
      p99Ms: round2(percentile(held, 99)),
      maxMs: round2(Math.max(0, ...held)),
    },
    slowest: [...probes]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10)
      .map((probe) => ({ atSeconds: round2(probe.at / 1000), ms: round2(probe.ms) })),
    heavy,
  };
  log(
    `heavy liveness: ${figure.probes} probes, p50 ${figure.p50Ms} ms, p99 ${figure.p99Ms} ms, max ${figure.maxMs} ms, ${figure.non200} not 200; ` +
      `${heavy.requests} heavy reads in ${heavy.seconds} s (${statusText(heavy)}), ${round1(heavy.bytes / 1024 / 1024)} MB`,
  );
  return figure;
}

// --- The heavy clients' process ----------------------------------------------------------------------------------------

export function statusText(heavy: HeavyResult): string {
  return Object.entries(heavy.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, count]) => `${count}x${status}`)
    .join(', ');
}

/** Runs load/heavyClients.ts on `spec` (through a file: the lists are longer than one argument may be). */
async function runHeavyClients(specFile: string, spec: HeavySpec, onGo: () => void): Promise<HeavyResult> {
  writeFileSync(specFile, JSON.stringify(spec));
  const child = spawnScript(benchScript('load/heavyClients.ts'), [specFile]);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let last = '';
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    if (line === 'go') onGo();
    else if (line.trim() !== '') last = line;
  });
  const linesClosed = new Promise((resolve) => lines.once('close', resolve));
  const timeoutMs = (spec.seconds ?? 600) * 1000 + 300_000;
  const exit = await exitOf(child, timeoutMs);
  if (exit === undefined) {
    child.kill('SIGKILL');
    throw new Error(`the heavy clients did not finish within ${timeoutMs / 1000} s`);
  }
  await Promise.race([linesClosed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  if (exit.code !== 0) throw new Error(`the heavy clients failed (exit ${exit.code ?? exit.signal}):\n${tail(stderr)}`);
  try {
    return JSON.parse(last) as HeavyResult;
  } catch {
    throw new Error(`the heavy clients printed no result:\n${tail(last + stderr)}`);
  }
}
