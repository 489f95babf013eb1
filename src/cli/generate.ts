// `ledger generate`: write a realistic synthetic ledger into an empty data dir, fast, through bulk appends.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { eventsToAppend } from '../commands/envelope.js';
import type { EmbeddedEventStore, StreamAppend } from '../store/embedded.js';
import { syntheticHistory } from '../synthetic/history.js';
import { progressOf } from './progress.js';
import { withStore } from './store.js';

/** Streams per transaction: big enough to amortise the fsync, small enough to keep memory flat. */
const STREAMS_PER_BATCH = 2000;

function positiveInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`expected a non-negative whole number, got "${text}"`);
  return value;
}

export function registerGenerateCommand(program: Command, dataDirOf: () => string): void {
  program
    .command('generate')
    .description(
      'write a synthetic ledger (programmes, rates, announcements 2015-2026 in GBP and EUR, ~20% amended, ~5% withdrawn) ' +
        'into an empty store',
    )
    .requiredOption('--announcements <n>', 'how many announcements', positiveInteger)
    .option('--seed <s>', 'seed: the same seed gives the same ledger', positiveInteger, 1)
    .action(async (options: { announcements: number; seed: number }) => {
      const started = performance.now();
      const totals = await withStore(dataDirOf(), async (store) => {
        if ((await store.headPosition()) !== undefined)
          throw new Error('the store is not empty: generate writes into an empty data dir only');
        const bulk = 'appendMany' in store ? (store as EmbeddedEventStore) : undefined;
        const correlationId = randomUUID();
        const progress = progressOf('generate', options.announcements);
        let batch: StreamAppend[] = [];
        let events = 0;
        let streams = 0;
        const flush = async () => {
          if (bulk) await bulk.appendMany(batch);
          else for (const append of batch) await store.append(append.stream, append.events, append.expected);
          batch = [];
          progress.update(Math.max(0, streams - 25));
        };
        for (const append of syntheticHistory(options)) {
          const metadata = { actor: 'generator', correlationId, causationId: correlationId, now: append.recordedAt };
          batch.push({
            stream: append.stream,
            events: eventsToAppend(append.stream, undefined, append.events, metadata),
            expected: 'no-stream',
          });
          events += append.events.length;
          streams += 1;
          if (batch.length === STREAMS_PER_BATCH) await flush();
        }
        await flush();
        progress.stop();
        return { events, streams };
      });
      const seconds = (performance.now() - started) / 1000;
      process.stdout.write(
        `wrote ${totals.events} events in ${totals.streams} streams in ${seconds.toFixed(1)} s ` +
          `(${Math.round(totals.events / seconds)} events/s)\n`,
      );
    });
}
