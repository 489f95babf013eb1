// Routes for auditors: the global journal, a full replay compared with the live projections, the offline export.
import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { exportLines } from '../../audit/exportFile.js';
import { rebuildProjections, replayReport } from '../../audit/replay.js';
import { PROJECTIONS } from '../../projections/runtime/all.js';
import { digestOf } from '../../projections/storage/digest.js';
import { readForReplay, recordedAtOf, type RecordedEvent } from '../../store/port.js';
import { formatPosition } from '../../store/position.js';
import type { LedgerContext } from '../context.js';
import { currentPosition } from '../consistency.js';
import { admitHeavy } from '../heavyWork.js';
import { sliced, TimeSlice } from '../../runtime/timeSlice.js';
import { journalExportSchema, journalPageSchema, journalQuerySchema, replayReportSchema } from '../../schemas/audit.js';
import { responseHeaders } from '../../schemas/headers.js';
import { authProblems, heavyProblems, jsonResponse, looseResponses, problems } from '../../schemas/responses.js';

const TAGS = ['Audit'];

const journalSchema = {
  operationId: 'listEvents',
  summary: 'The global journal of events',
  description: 'Every event in position order, filtered by stream, type, actor and recording time; paged with `after` and `limit`.',
  tags: TAGS,
  querystring: journalQuerySchema,
  response: { 200: jsonResponse('One page of the journal', journalPageSchema), 400: problems.invalid, ...authProblems, ...heavyProblems },
};

const replaySchema = {
  operationId: 'replayProjections',
  summary: 'Rebuild every projection from position 0 and compare it with the live ones',
  tags: TAGS,
  response: {
    200: jsonResponse('The replay report', replayReportSchema),
    // Takes no body; one that is sent must still be JSON.
    400: problems.invalid,
    ...authProblems,
    413: problems.tooLarge,
    415: problems.unsupportedMediaType,
    ...heavyProblems,
  },
};

const exportSchema = {
  operationId: 'exportJournal',
  summary: 'Every event as JSON Lines, for offline audit',
  description:
    'One event a line in position order, then a manifest line `{ format, count, lastPosition, chainHeads, sha256, checkpoint, ' +
    'verifierKey }`: the checkpoint is the signed C2SP checkpoint of exactly the exported events. Streamed.',
  tags: TAGS,
  // A stream is sent as is, never through the serializer; the schema documents the lines.
  response: looseResponses({
    200: {
      description: 'The journal as JSON Lines',
      headers: { 'Content-Disposition': responseHeaders.contentDisposition },
      content: { 'application/x-ndjson': { schema: journalExportSchema } },
    },
    ...authProblems,
    ...heavyProblems,
  }),
};

/** A filtered journal page scans at most this many events, then hands back a cursor to continue from. */
const MAX_SCANNED_PER_PAGE = 50_000;

/** One event as the journal lists it; `leafIndex` is its leaf in the journal tree, null while the projections have not applied it. */
export function journalItem(event: RecordedEvent, leafIndex: number | null) {
  const { hash, ...metadata } = event.metadata;
  return {
    position: formatPosition(event.position),
    stream: event.stream,
    revision: Number(event.revision),
    id: event.id,
    type: event.type,
    data: event.data,
    metadata,
    hash: typeof hash === 'string' ? hash : null,
    leafIndex,
  };
}

export const auditRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/events', { schema: journalSchema, config: { scope: 'audit' } }, async (request, reply) => {
    // A page may scan up to 50,000 events: heavy work, in slices.
    const release = await admitHeavy(request, reply);
    if (release === undefined) return reply;
    const { after, limit, stream, type, actor, from, to } = request.query;
    const fromTime = from === undefined ? undefined : Date.parse(from);
    const toTime = to === undefined ? undefined : Date.parse(to);
    const items: ReturnType<typeof journalItem>[] = [];
    let scanned = 0;
    let lastScanned: RecordedEvent | undefined;
    let exhausted = true;
    const filter = { ...(stream !== undefined && { streamPrefixes: [stream] }), ...(type !== undefined && { eventTypes: [type] }) };
    for await (const event of sliced(context.store.readAll({ after, filter }))) {
      scanned += 1;
      lastScanned = event;
      // The metadata is parsed only for a filter that needs it: most pages have no actor and no time range.
      const recordedAt = fromTime === undefined && toTime === undefined ? undefined : Date.parse(String(recordedAtOf(event)));
      const wanted =
        (stream === undefined || event.stream === stream) &&
        (recordedAt === undefined ||
          ((fromTime === undefined || recordedAt >= fromTime) && (toTime === undefined || recordedAt <= toTime))) &&
        (actor === undefined || event.metadata.actor === actor);
      if (wanted) items.push(journalItem(event, context.projections.journal.indexOf(event.position) ?? null));
      if (items.length === limit || scanned === MAX_SCANNED_PER_PAGE) {
        exhausted = false;
        break;
      }
    }
    const nextCursor = exhausted || lastScanned === undefined ? null : formatPosition(lastScanned.position);
    return reply.send({ items, nextCursor });
  });

  app.post('/audit/replay', { schema: replaySchema, config: { scope: 'audit' } }, async (request, reply) => {
    const release = await admitHeavy(request, reply);
    if (release === undefined) return reply;
    // The live digest and the position it reflects are taken together, synchronously, before the rebuild starts.
    const position = context.projections.position;
    const liveDigest = digestOf(context.projections.states);
    const until = position ?? { commit: 0n, prepare: 0n };
    // Read on another thread where the store can (readForReplay): this one folds, in slices between other requests.
    const rebuilt = await rebuildProjections(readForReplay(context.store, { until }), PROJECTIONS, { until, slice: new TimeSlice() });
    const report = replayReport(rebuilt, liveDigest);
    context.logger.info({ match: report.match, events: report.events, eventsPerSecond: report.eventsPerSecond }, 'audit replay');
    return reply.send({
      match: report.match,
      events: report.events,
      eventsPerSecond: report.eventsPerSecond,
      digest: report.digest,
      liveDigest,
      position: report.position,
      seconds: report.seconds,
    });
  });

  app.get('/audit/export', { schema: exportSchema, config: { scope: 'audit' } }, async (request, reply) => {
    const release = await admitHeavy(request, reply);
    if (release === undefined) return reply;
    const position = currentPosition(context.projections);
    return reply
      .header('content-disposition', `attachment; filename="funding-ledger-audit-${position}.jsonl"`)
      .type('application/x-ndjson; charset=utf-8')
      .send(request.method === 'HEAD' ? undefined : Readable.from(sliced(exportLines(context.store, context.checkpoints.identity))));
  });
};
