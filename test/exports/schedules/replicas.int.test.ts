// Scheduled exports on several instances: each slot runs on exactly one (a lease in the store), every instance shows
// the same lastRun, and a slot whose holder died is taken over once its lease runs out.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { eventsToAppend } from '../../../src/commands/envelope.js';
import { liveSources } from '../../../src/exports/live.js';
import { parseExportSchedules } from '../../../src/exports/schedules/config.js';
import { scheduleStream } from '../../../src/exports/schedules/record.js';
import { ExportScheduler } from '../../../src/exports/schedules/scheduler.js';
import { openScheduleStore } from '../../../src/exports/schedules/store.js';
import type { EventStore, RecordedEvent } from '../../../src/store/port.js';
import { clientOf, expectStatus, startTestLedger, type TestLedger } from '../../support/ledger.js';
import { registerProgrammes, theThreeMillion } from '../../support/scenarios.js';
import { aStandIn, replicasOn } from '../../multi/replicas.js';
import { until } from '../../support/until.js';

function aDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'schedule-replicas-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function streamEvents(store: EventStore, stream: string): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(stream)) events.push(event);
  return events;
}

describe('scheduled exports on several instances', () => {
  it('run each slot on one instance only, and every instance shows the same lastRun (three ledgers on one EventStoreDB)', async () => {
    const schedulesFile = join(aDirectory(), 'schedules.json');
    writeFileSync(
      schedulesFile,
      JSON.stringify([
        { name: 'every-second', cron: '*/1 * * * * *', kind: 'totals', options: { groupBy: ['country'] }, directory: 'exports', keep: 100 },
      ]),
    );
    const replicas = await replicasOn(await aStandIn(), 3, { EXPORT_SCHEDULES_FILE: schedulesFile });
    await registerProgrammes(replicas[0]!);
    expectStatus(await clientOf(replicas[0]!).post('/announcements', theThreeMillion()), 201);
    const store = replicas[0]!.ledger.context.store;

    await until(
      'five results',
      async () =>
        (await streamEvents(store, scheduleStream('every-second'))).filter((event) => event.type === 'ScheduledExportSucceeded').length >=
        5,
      15_000,
    );
    for (const replica of replicas) await replica.ledger.context.exports.schedules.stop();

    const events = await streamEvents(store, scheduleStream('every-second'));
    const results = events
      .filter((event) => event.type === 'ScheduledExportSucceeded')
      .map((event) => event.data as { slot: string; instance: string; file: string });
    const bySlot = new Map<string, (typeof results)[number][]>();
    for (const result of results) bySlot.set(result.slot, [...(bySlot.get(result.slot) ?? []), result]);
    expect([...bySlot.values()].every((slotResults) => slotResults.length === 1)).toBe(true);
    // Every claim of a slot after the first is its holder renewing, never another instance taking a live slot.
    for (const [slot] of bySlot) {
      const holders = new Set(
        events.filter((event) => event.type === 'ExportSlotClaimed' && event.data.slot === slot).map((event) => event.data.instance),
      );
      expect(holders.size).toBe(1);
    }
    // Files go to the running instance's directory: each result's file is in its instance's and nowhere else.
    const instances = replicas.map((replica) => replica.ledger.context.exports.schedules.instance);
    // An instance that never won a slot has no directory at all.
    const files = replicas.map((replica) =>
      (existsSync(join(replica.dataDir, 'exports')) ? readdirSync(join(replica.dataDir, 'exports')) : []).filter((file) =>
        file.endsWith('.csv'),
      ),
    );
    for (const result of results) {
      const owner = instances.indexOf(result.instance);
      expect(owner).toBeGreaterThanOrEqual(0);
      expect(files.map((list) => list.includes(result.file))).toEqual(instances.map((_, index) => index === owner));
    }
    expect(files.flat()).toHaveLength(results.length);

    const answers = await Promise.all(
      replicas.map(async (replica) => expectStatus(await clientOf(replica).get('/exports/schedules'), 200).json.schedules[0].lastRun),
    );
    expect(answers[0]).toMatchObject({ status: 'ok', rows: 1 });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(results.at(-1)!.file).toBe(answers[0].file);
  });

  it('take over a slot whose holder died once its lease ran out, and record who ran it (embedded store, one process)', async () => {
    const ledger: TestLedger = await startTestLedger();
    await registerProgrammes(ledger);
    const schedules = parseExportSchedules(
      [{ name: 'yearly', cron: '0 0 1 1 *', kind: 'totals', directory: aDirectory(), keep: 5 }],
      ledger.dataDir,
    );
    const shared = openScheduleStore(
      { eventStore: 'embedded', dataDir: aDirectory() },
      pino({ level: 'silent' }),
      ledger.ledger.context.store,
    );
    onTestFinished(() => shared.close());
    // The slot the schedule is in now, claimed by an instance that then died: its lease ends in a second.
    const slot = new Date(Date.UTC(new Date().getUTCFullYear(), 0, 1)).toISOString();
    const leaseUntil = new Date(Date.now() + 1_000).toISOString();
    const stream = scheduleStream('yearly');
    const metadata = {
      actor: 'scheduler',
      correlationId: `${stream}@${slot}`,
      causationId: 'dead-instance',
      now: new Date().toISOString(),
    };
    await shared.store.append(
      stream,
      eventsToAppend(stream, undefined, [{ type: 'ExportSlotClaimed', data: { slot, instance: 'dead-instance', leaseUntil } }], metadata),
      'no-stream',
    );

    const survivor = new ExportScheduler(
      schedules,
      liveSources(ledger.ledger.context.store, ledger.ledger.context.projections),
      pino({ level: 'silent' }),
      {
        store: () => ({ store: shared.store, close: async () => undefined }),
        instance: 'survivor',
        leaseMs: 600,
      },
    );
    survivor.start();
    onTestFinished(() => survivor.stop());

    const result = await until(
      'the survivor to record the slot',
      async () => {
        const events = await streamEvents(shared.store, stream);
        return events.find((event) => event.type === 'ScheduledExportSucceeded')?.data as
          { slot: string; instance: string; startedAt: string } | undefined;
      },
      15_000,
    );
    expect(result).toMatchObject({ slot, instance: 'survivor' });
    // Never while the dead instance's lease was live.
    expect(Date.parse(result.startedAt)).toBeGreaterThanOrEqual(Date.parse(leaseUntil));
    expect((await survivor.list())[0]!.lastRun).toMatchObject({ status: 'ok', position: expect.any(String) });
  });

  it('two schedulers on one embedded store in one process share the slots as replicas do', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);
    const shared = openScheduleStore(
      { eventStore: 'embedded', dataDir: aDirectory() },
      pino({ level: 'silent' }),
      ledger.ledger.context.store,
    );
    onTestFinished(() => shared.close());
    const directories = [aDirectory(), aDirectory()];
    const schedulers = directories.map((directory, index) => {
      const scheduler = new ExportScheduler(
        parseExportSchedules([{ name: 'journal', cron: '*/1 * * * * *', kind: 'events', directory, keep: 100 }], ledger.dataDir),
        liveSources(ledger.ledger.context.store, ledger.ledger.context.projections),
        pino({ level: 'silent' }),
        { store: () => ({ store: shared.store, close: async () => undefined }), instance: `instance-${index}` },
      );
      scheduler.start();
      onTestFinished(() => scheduler.stop());
      return scheduler;
    });

    await until(
      'four results',
      async () =>
        (await streamEvents(shared.store, scheduleStream('journal'))).filter((event) => event.type === 'ScheduledExportSucceeded').length >=
        4,
      15_000,
    );
    for (const scheduler of schedulers) await scheduler.stop();

    const results = (await streamEvents(shared.store, scheduleStream('journal'))).filter(
      (event) => event.type === 'ScheduledExportSucceeded',
    );
    const slots = results.map((event) => event.data.slot);
    expect(new Set(slots).size).toBe(slots.length);
    const files = directories.flatMap((directory) => readdirSync(directory).filter((file) => file.endsWith('.csv')));
    expect(files).toHaveLength(results.length);
    // The ledger's own journal holds only the ledger's events: export runs never move its positions.
    expect(await ledger.storeHead()).toBe('2');
    const [one, other] = await Promise.all(schedulers.map(async (scheduler) => (await scheduler.list())[0]!.lastRun));
    expect(other).toEqual(one);
  });
});
