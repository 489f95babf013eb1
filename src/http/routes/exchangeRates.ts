// Routes: record and list exchange rates between the ledger's currencies.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { exchangeRateDecider } from '../../commands/exchangeRate/decide.js';
import { exchangeRateStream } from '../../commands/exchangeRate/events.js';
import type { ExchangeRateState } from '../../commands/exchangeRate/state.js';
import { NotFoundError } from '../../domain/errors.js';
import type { CurrencyCode } from '../../domain/money.js';
import { exchangeRatesProjection } from '../../projections/models/exchangeRates.js';
import { formatPosition, positionText } from '../../store/position.js';
import type { LedgerContext } from '../context.js';
import { answerCommand, type WriteResult } from '../writes.js';
import {
  exchangeRateListSchema,
  exchangeRateQuerySchema,
  recordedExchangeRateSchema,
  recordExchangeRateBodySchema,
} from '../../schemas/exchangeRates.js';
import { commandHeaders } from '../../schemas/headers.js';
import { authProblems, jsonResponse, looseResponses, problems, writeProblems } from '../../schemas/responses.js';

const TAGS = ['Exchange rates'];

const recordSchema = {
  operationId: 'recordExchangeRate',
  summary: 'Record an exchange rate',
  description:
    'The rate applies to announcements from effectiveOn until a later rate for the pair; a GBP->EUR rate also converts EUR->GBP as its ' +
    'exact inverse. ' +
    'Send an Idempotency-Key to make retries safe.',
  tags: TAGS,
  body: recordExchangeRateBodySchema,
  requestHeaders: commandHeaders,
  response: looseResponses({ 201: jsonResponse('Recorded', recordedExchangeRateSchema), ...writeProblems }),
};

const listSchema = {
  operationId: 'listExchangeRates',
  summary: 'List exchange rates',
  tags: TAGS,
  querystring: exchangeRateQuerySchema,
  response: {
    200: jsonResponse('Every recorded rate matching the filters', exchangeRateListSchema),
    400: problems.invalid,
    ...authProblems,
  },
};

export const exchangeRateRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  // No ETag or Location: nothing reads or conditionally writes one pair's stream.
  app.post('/exchange-rates', { schema: recordSchema, config: { scope: 'write' } }, (request, reply) => {
    const { base, quote } = request.body;
    return answerCommand(context, request, reply, {
      decider: exchangeRateDecider,
      status: 201,
      etag: false,
      toCommand: () => ({ stream: exchangeRateStream(base, quote), command: { type: 'RecordExchangeRate' as const, data: request.body } }),
      present: ({ state, revision, position }: WriteResult<ExchangeRateState>) => {
        const recorded = state.rates.at(-1);
        if (recorded === undefined) throw new NotFoundError(`no ${base}/${quote} rate recorded`);
        return { base, quote, ...recorded, revision: Number(revision), position: formatPosition(position) };
      },
    });
  });

  app.get('/exchange-rates', { schema: listSchema, config: { scope: 'read' } }, async (request, reply) => {
    const { base, quote } = request.query;
    const state = context.projections.stateOf(exchangeRatesProjection);
    const items = [...state.entries()]
      .filter(([pair]) => (base === undefined || pair.startsWith(`${base}-`)) && (quote === undefined || pair.endsWith(`-${quote}`)))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([pair, rates]) => {
        const [pairBase, pairQuote] = pair.split('-') as [CurrencyCode, CurrencyCode];
        return rates.rates.map((rate) => ({ base: pairBase, quote: pairQuote, ...rate }));
      });
    const position = context.projections.position;
    return reply.send({ items, position: positionText(position) });
  });
};
