// Fills an EventStoreDB (the stand-in, in the bench) with the synthetic ledger `ledger generate` writes, through the
// ledger's own adapter and the real client, in its own process. `ledger generate` appends one stream after the other
// when the store is not the embedded one (one round trip each, about 1,000 events/s here); this keeps `inFlight`
// announcement appends going at once instead, as concurrent writers would, so the client batches them on its
// BatchAppend stream. Programme and exchange-rate streams (the first few) go alone, in order, before any announcement
// that may name them. Prints one JSON line: events, streams, seconds, events/s.
//
//   node --import tsx bench/load/esdbFill.ts '{"connectionString":"esdb://...","dataDir":"/tmp/x","announcements":80000,"seed":1,"inFlight":50}'
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { withStore as WithStore } from '../../src/cli/store.js';
import type { eventsToAppend as EventsToAppend } from '../../src/commands/envelope.js';
import type { syntheticHistory as SyntheticHistory } from '../../src/synthetic/history.js';
import { REPO_ROOT } from '../paths.js';

export interface FillSpec {
  readonly connectionString: string;
  readonly dataDir: string;
  readonly announcements: number;
  readonly seed: number;
  readonly inFlight: number;
}

export interface FillResult {
  readonly events: number;
  readonly streams: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly inFlight: number;
}

const fromDist = async <T>(relative: string): Promise<T> => (await import(pathToFileURL(path.join(REPO_ROOT, 'dist', relative)).href)) as T;

const spec = JSON.parse(process.argv[2] ?? '{}') as FillSpec;
process.env.EVENT_STORE = 'eventstoredb';
process.env.EVENTSTORE_CONNECTION_STRING = spec.connectionString;
const { withStore } = await fromDist<{ withStore: typeof WithStore }>('cli/store.js');
const { eventsToAppend } = await fromDist<{ eventsToAppend: typeof EventsToAppend }>('commands/envelope.js');
const { syntheticHistory } = await fromDist<{ syntheticHistory: typeof SyntheticHistory }>('synthetic/history.js');

const started = performance.now();
const totals = await withStore(spec.dataDir, async (store) => {
  if ((await store.headPosition()) !== undefined) throw new Error('the store is not empty');
  const correlationId = randomUUID();
  const pending = new Set<Promise<unknown>>();
  let failure: Error | undefined;
  let events = 0;
  let streams = 0;
  for (const append of syntheticHistory({ announcements: spec.announcements, seed: spec.seed })) {
    const metadata = { actor: 'generator', correlationId, causationId: correlationId, now: append.recordedAt };
    const toAppend = eventsToAppend(append.stream, undefined, append.events, metadata);
    const alone = !append.stream.startsWith('announcement-');
    if (alone) await Promise.all(pending);
    while (pending.size >= spec.inFlight) await Promise.race(pending);
    if (failure !== undefined) throw failure;
    const call = store.append(append.stream, toAppend, 'no-stream').then(
      () => void pending.delete(call),
      (error: unknown) => {
        pending.delete(call);
        failure ??= error instanceof Error ? error : new Error(String(error));
      },
    );
    pending.add(call);
    if (alone) await call;
    events += append.events.length;
    streams += 1;
  }
  await Promise.all(pending);
  if (failure !== undefined) throw failure;
  return { events, streams };
});
const seconds = (performance.now() - started) / 1000;
const result: FillResult = {
  ...totals,
  seconds: Math.round(seconds * 1000) / 1000,
  eventsPerSecond: Math.round(totals.events / seconds),
  inFlight: spec.inFlight,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
