// The bench's command line: sizes and durations of a full run, a --quick one, and the overrides.
import { parseArgs } from 'node:util';

export interface BenchOptions {
  readonly quick: boolean;
  /** Regenerate the ledger even when a cached one exists. */
  readonly fresh: boolean;
  /** auto: rebuild dist/ when a file under src/ is newer than dist/server.js. */
  readonly build: 'auto' | 'always' | 'never';
  readonly announcements: number;
  readonly seed: number;
  readonly connections: number;
  /** Seconds of each measured load (autocannon), after `warmupSeconds` unmeasured. */
  readonly loadSeconds: number;
  readonly warmupSeconds: number;
  /** Seconds of sequential single appends for the raw store baseline. */
  readonly appendSeconds: number;
  readonly asOfRequests: number;
  readonly asOfPositions: number;
  /** The as-of figure stops early past this many seconds (each miss replays history up to the position). */
  readonly asOfBudgetSeconds: number;
  /** Run the service and the replay under `node --cpu-prof`, profiles in bench/profiles/<date>/, summarised at the end. */
  readonly cpuProf: boolean;
  /** Keep the run's working data dir (for a look afterwards). */
  readonly keep: boolean;
  readonly output: string;
  /** Run only this scenario (its own ledger and service); undefined runs them all. */
  readonly only: 'heavy' | 'esdb' | 'merkle' | 'asof' | undefined;
  /** The heavy scenario's own ledger: `ledger generate --announcements 50000` (62,624 events with seed 1). */
  readonly heavyAnnouncements: number;
  /** Seconds the heavy liveness load is kept up (20 heavy reads in flight) while /health/live is probed. */
  readonly heavySeconds: number;
  /** Distinct heavy queries of the memory part. */
  readonly heavyQueries: number;
  /** Seconds idle after the memory part before the resident set is taken again. */
  readonly heavyIdleSeconds: number;
  /** The EventStoreDB scenario's fill: 80,000 announcements (100,116 events with seed 1); 16,000 with --quick. */
  readonly esdbAnnouncements: number;
}

export const USAGE = `npm run bench -- [--quick] [--fresh] [--build|--no-build] [--announcements N] [--seed S]
                    [--seconds S] [--connections C] [--only heavy|esdb|merkle|asof] [--cpu-prof] [--keep] [--out FILE]
  --quick          100,000 events (80,000 announcements) and shorter loads: about five minutes with the heavy and
                   EventStoreDB scenarios
  --fresh          regenerate the ledger instead of reusing the cached one
  --build          rebuild dist/ first; --no-build uses dist/ as it is (default: rebuild when src/ is newer)
  --announcements  ledger size (default 800,000, about 1,000,000 events; 80,000 with --quick)
  --seconds        seconds of each measured load (default 10; 4 with --quick)
  --only heavy     only the heavy-work scenario, on its own ledger of 62,624 events (50,000 announcements, whatever
                   the size options say): /health/live under 20 heavy reads for 20 s (10 s with --quick) and the
                   resident set over 500 distinct heavy queries; about 1.5 minutes
  --only esdb      only the EventStoreDB scenario, through the real client against the test-only stand-in in its own
                   process: fill it with 100,116 events (about 20,000 with --quick), the service's catch-up, POST
                   /announcements under --connections for --seconds (checked to go through BatchAppend), ledger replay;
                   about 1.5 minutes (40 s with --quick)
  --only merkle    only the journal's Merkle tree at 1,000,000 leaves, in a process of its own: appends/s, memory,
                   snapshot size and restore time, proof and signed-checkpoint latency; about 15 s
  --only asof      only the uncached as-of figure, on the main ledger: started once without a snapshot if the cached
                   ledger has none (a copy of it, kept with its snapshot and history), then from its snapshot; about a
                   minute when the snapshot exists
  --cpu-prof       profile the service and the replay (node --cpu-prof); slows them, so figures are not comparable
  --keep           keep the working data dir
  --out            where to write the results (default bench/results.json)`;

function wholeNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number, got "${text}"`);
  return value;
}

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      fresh: { type: 'boolean', default: false },
      build: { type: 'boolean' },
      'no-build': { type: 'boolean' },
      announcements: { type: 'string' },
      seed: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      out: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const quick = values.quick;
  const loadSeconds = wholeNumber('seconds', values.seconds, quick ? 4 : 10);
  const only = values.only;
  if (only !== undefined && only !== 'heavy' && only !== 'esdb' && only !== 'merkle' && only !== 'asof')
    throw new Error(`--only takes "heavy", "esdb", "merkle" or "asof", got "${only}"`);
  return {
    quick,
    fresh: values.fresh,
    build: values['no-build'] ? 'never' : values.build ? 'always' : 'auto',
    announcements: wholeNumber('announcements', values.announcements, quick ? 80_000 : 800_000),
    seed: wholeNumber('seed', values.seed, 1),
    connections: wholeNumber('connections', values.connections, 50),
    loadSeconds,
    warmupSeconds: quick ? 1 : 2,
    appendSeconds: quick ? 3 : 8,
    asOfRequests: 200,
    asOfPositions: 10,
    asOfBudgetSeconds: quick ? 12 : 90,
    cpuProf: values['cpu-prof'],
    keep: values.keep,
    output: values.out ?? 'bench/results.json',
    only,
    heavyAnnouncements: 50_000,
    heavySeconds: quick ? 10 : 20,
    heavyQueries: 500,
    heavyIdleSeconds: 15,
    esdbAnnouncements: quick ? 16_000 : 80_000,
  };
}
