// Prometheus metrics of one app instance (README "Metrics"): a registry per app, fed by hooks and observers, never by the domain.
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Position } from '../store/port.js';
import type { LedgerContext } from './context.js';
import { onIdempotentReplay } from './idempotency.js';

/** Past this many events behind, an EventStoreDB lag is counted no further: the gauge then says "at least this". */
const LAG_COUNT_LIMIT = 10_000;

/** Requests that matched no route share one label, so a scan of random URLs cannot grow the series without bound. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * Process metrics (CPU, memory, event-loop delay, GC) describe the process, not an app: one registry for them per
 * process. prom-client's collectors cannot be stopped, so one per app would leak observers in a process (tests) that
 * starts many.
 */
let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface LedgerMetrics {
  /** The exposition text: this app's metrics, then the process's. */
  text(): Promise<string>;
  readonly contentType: string;
}

/** What the store holds beyond the projections: how many events, and when the oldest of them was recorded. */
async function behind(
  context: LedgerContext,
  applied: Position | undefined,
  head: Position,
): Promise<{ events: number; oldestRecordedAt: string | undefined }> {
  let events = 0;
  let oldestRecordedAt: string | undefined;
  // The embedded store numbers events 1, 2, 3...: the difference counts them. EventStoreDB positions are byte offsets.
  const sequential = context.config.eventStore === 'embedded';
  const limit = sequential ? 1 : LAG_COUNT_LIMIT;
  for await (const event of context.store.readAll({ ...(applied !== undefined && { after: applied }), limit })) {
    if (events === 0) oldestRecordedAt = typeof event.metadata.recordedAt === 'string' ? event.metadata.recordedAt : undefined;
    events += 1;
  }
  if (sequential) events = Number(head.commit - (applied?.commit ?? 0n));
  return { events, oldestRecordedAt };
}

/**
 * Registers the metrics hooks on `app` (before the routes, so every route is measured) and returns the registry's
 * reader for the /metrics route. Observers are removed when the app closes.
 */
export function registerMetrics(app: FastifyInstance, context: LedgerContext): LedgerMetrics {
  const registry = new Registry();
  const { projections, store } = context;

  const requests = new Counter({
    name: 'ledger_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'ledger_http_request_duration_seconds',
    help: 'Time from receiving a request to the end of its answer, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  app.addHook('onResponse', (request, reply, done) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE, status_code: String(reply.statusCode) };
    requests.inc(labels);
    durations.observe(labels, reply.elapsedTime / 1000);
    done();
  });

  const applied = new Counter({
    name: 'ledger_events_applied_total',
    help: "Events the projections of this instance applied since it started metering, by event type (every instance's writes)",
    labelNames: ['type'],
    registers: [registry],
  });
  const { appended } = context;
  new Counter({
    name: 'ledger_events_appended_total',
    help:
      'Events this instance appended and the store acknowledged since it started, by event type (announcements, programmes, rates, ' +
      'API keys, export slots)',
    labelNames: ['type'],
    registers: [registry],
    // Read from the ledger's tally at scrape time: it counts from start-up, before the app (and its registry) existed.
    collect() {
      this.reset();
      for (const [type, count] of appended.byEventType) this.inc({ type }, count);
    },
  });
  const replays = new Counter({
    name: 'ledger_idempotent_replays_total',
    help: 'Writes answered as a replay of an earlier request with the same Idempotency-Key, by route pattern',
    labelNames: ['route'],
    registers: [registry],
  });
  const exportRuns = new Counter({
    name: 'ledger_scheduled_export_runs_total',
    help: 'Scheduled export runs made by this instance, by schedule and result (ok, failed)',
    labelNames: ['schedule', 'result'],
    registers: [registry],
  });
  const unsubscribe = [
    projections.onAdvance((_position, event) => applied.inc({ type: event.type })),
    onIdempotentReplay(context, (request) => replays.inc({ route: request.routeOptions.url ?? UNMATCHED_ROUTE })),
    context.exports.schedules.onRun((schedule, result) => exportRuns.inc({ schedule, result: result.status })),
  ];
  app.addHook('onClose', (_app, done) => {
    for (const stop of unsubscribe) stop();
    done();
  });

  // Read at scrape time: the store's head and what the projections have applied.
  const up = new Gauge({
    name: 'ledger_event_store_up',
    help: '1 while the projections follow the event store live (caught up, subscription connected) and its head can be read; 0 otherwise',
    registers: [registry],
  });
  const disconnects = new Gauge({
    name: 'ledger_event_store_disconnections',
    help: "Times the projections' subscription lost its connection to the event store since start (EventStoreDB)",
    registers: [registry],
  });
  const position = new Gauge({
    name: 'ledger_projection_position',
    help: 'Commit position of the last event the projections applied (on EventStoreDB a byte offset in its log)',
    registers: [registry],
  });
  const head = new Gauge({
    name: 'ledger_event_store_head_position',
    help: 'Commit position of the last event in the event store (on EventStoreDB a byte offset in its log)',
    registers: [registry],
  });
  const lagEvents = new Gauge({
    name: 'ledger_projection_lag_events',
    help: `Events in the store the projections have not applied yet (on EventStoreDB counted up to ${LAG_COUNT_LIMIT})`,
    registers: [registry],
  });
  const lagSeconds = new Gauge({
    name: 'ledger_projection_lag_seconds',
    help: 'Age of the oldest event the projections have not applied yet; 0 when caught up',
    registers: [registry],
  });
  new Gauge({
    name: 'ledger_projection_applied_events',
    help: "Events the projections have applied: the journal tree's size",
    registers: [registry],
    collect() {
      this.set(projections.journal.size);
    },
  });

  const collectStore = async (): Promise<void> => {
    const at = projections.position;
    position.set(Number(at?.commit ?? 0n));
    disconnects.set(projections.disconnections);
    let top: Position | undefined;
    try {
      top = await store.headPosition();
    } catch {
      up.set(0);
      return;
    }
    up.set(projections.ready ? 1 : 0);
    head.set(Number(top?.commit ?? 0n));
    if (top === undefined || (at !== undefined && at.commit >= top.commit)) {
      lagEvents.set(0);
      lagSeconds.set(0);
      return;
    }
    const { events, oldestRecordedAt } = await behind(context, at, top).catch(() => ({ events: 0, oldestRecordedAt: undefined }));
    lagEvents.set(events);
    const recorded = oldestRecordedAt === undefined ? NaN : Date.parse(oldestRecordedAt);
    lagSeconds.set(Number.isNaN(recorded) ? 0 : Math.max(0, (Date.parse(context.now()) - recorded) / 1000));
  };

  return {
    contentType: registry.contentType,
    async text() {
      await collectStore();
      return `${await registry.metrics()}\n${await processMetrics().metrics()}`;
    },
  };
}
