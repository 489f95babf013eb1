// Routes: CSV downloads of totals, announcements and the journal, and the state of the scheduled exports.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';
import { csvStream, type CsvExport } from '../../exports/csv.js';
import { exportHead, prepareExport, type ExportRequest } from '../../exports/request.js';
import { StoreDamagedError } from '../../store/port.js';
import type { LedgerContext } from '../context.js';
import { awaitMinPosition } from '../consistency.js';
import { admitHeavy } from '../heavyWork.js';
import { responseHeaders } from '../../schemas/headers.js';
import {
  announcementsCsvSchema,
  eventsCsvSchema,
  plainExportQuerySchema,
  schedulesResponseSchema,
  totalsCsvSchema,
  totalsExportQuerySchema,
} from '../../schemas/exports.js';
import {
  authProblems,
  heavyProblems,
  jsonResponse,
  looseResponses,
  problemResponse,
  problems,
  type ResponseSpec,
} from '../../schemas/responses.js';

const TAGS = ['Exports'];

function csvResponse(description: string, schema: ZodType): ResponseSpec {
  return {
    description,
    headers: { 'Content-Disposition': responseHeaders.contentDisposition, 'X-Ledger-Position': responseHeaders.ledgerPosition },
    content: { 'text/csv': { schema } },
  };
}

const totalsExportSchema = {
  operationId: 'exportTotalsCsv',
  summary: 'Totals as CSV',
  description:
    'The options of /totals (groupBy, currency, filters, asOf, minPosition) and `bom`. One row per group and original currency; ' +
    'the file name carries the position the totals reflect. An unknown programme is refused with 400.',
  tags: TAGS,
  querystring: totalsExportQuerySchema,
  // A stream is sent as is, never through the serializer; the schema documents the columns.
  response: looseResponses({
    200: csvResponse('The totals as CSV', totalsCsvSchema),
    400: problems.invalid,
    ...authProblems,
    429: heavyProblems[429],
    503: problemResponse(
      'The projections did not reach minPosition within 5 seconds, the event store is unavailable (asOf), or the heavy-work queue is full',
      {
        'Retry-After': responseHeaders.retryAfter,
      },
    ),
  }),
};

const announcementsExportSchema = {
  operationId: 'exportAnnouncementsCsv',
  summary: 'Every announcement as CSV, one row per allocation',
  description:
    'The current state of every announcement, withdrawn ones included with their status and reason, in the order first recorded.',
  tags: TAGS,
  querystring: plainExportQuerySchema,
  response: looseResponses({
    200: csvResponse('The announcements as CSV', announcementsCsvSchema),
    400: problems.invalid,
    ...authProblems,
    ...heavyProblems,
  }),
};

const eventsExportSchema = {
  operationId: 'exportEventsCsv',
  summary: 'The journal as CSV, one row per event',
  description: 'Every event in position order up to the last one recorded when the download began; `data` stays JSON text.',
  tags: TAGS,
  querystring: plainExportQuerySchema,
  response: looseResponses({
    200: csvResponse('The journal as CSV', eventsCsvSchema),
    400: problems.invalid,
    ...authProblems,
    ...heavyProblems,
  }),
};

const schedulesSchema = {
  operationId: 'listExportSchedules',
  summary: 'Scheduled exports: each with its next run and the result of its last',
  tags: TAGS,
  response: { 200: jsonResponse('Every schedule of EXPORT_SCHEDULES_FILE, in file order', schedulesResponseSchema), ...authProblems },
};

export const exportRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { sources, schedules } = context.exports;

  /**
   * The position is fixed (and the request validated) before the headers go out; then the rows stream, in slices. An
   * export is heavy work, admitted through the gate; HEAD answers the same headers without building a row.
   */
  async function sendCsv(request: FastifyRequest, reply: FastifyReply, exportRequest: ExportRequest, bom: boolean) {
    const release = await admitHeavy(request, reply);
    if (release === undefined) return reply;
    if (request.method === 'HEAD') {
      const head = await exportHead(sources, exportRequest);
      return csvHeaders(reply, head).send();
    }
    const csv = await prepareExport(sources, exportRequest);
    const rows = csvStream(csv, { bom });
    // The rows stream after the headers: a failure then can only cut the download short (the client sees the transfer
    // end unfinished), so the operator learns of it here.
    rows.once('error', (error: Error) => {
      if (error instanceof StoreDamagedError)
        request.log.error({ reason: error.message }, 'the event store is damaged; the export was cut off');
      else request.log.error({ err: error }, 'the export failed after its headers were sent; it was cut off');
    });
    return csvHeaders(reply, csv).send(rows);
  }

  function csvHeaders(reply: FastifyReply, csv: Pick<CsvExport, 'kind' | 'position'>): FastifyReply {
    return reply
      .header('content-disposition', `attachment; filename="${csv.kind}-${csv.position}.csv"`)
      .header('x-ledger-position', csv.position)
      .header('cache-control', 'no-store')
      .type('text/csv; charset=utf-8');
  }

  app.get('/exports/totals.csv', { schema: totalsExportSchema, config: { scope: 'read' } }, async (request, reply) => {
    const { groupBy, currency, basis, rates, minPosition, asOf, bom, ...filter } = request.query;
    if (!(await awaitMinPosition(context.projections, minPosition, reply))) return reply;
    return sendCsv(request, reply, { kind: 'totals', groupBy, currency, basis, rates, filter, asOf }, bom);
  });

  app.get('/exports/announcements.csv', { schema: announcementsExportSchema, config: { scope: 'read' } }, async (request, reply) =>
    sendCsv(request, reply, { kind: 'announcements' }, request.query.bom),
  );

  app.get('/exports/events.csv', { schema: eventsExportSchema, config: { scope: 'audit' } }, async (request, reply) =>
    sendCsv(request, reply, { kind: 'events' }, request.query.bom),
  );

  app.get('/exports/schedules', { schema: schedulesSchema, config: { scope: 'read' } }, async (_request, reply) =>
    reply.send({ schedules: await schedules.list() }),
  );
};
