// Route: every version of one announcement, with the event that made it, who, when, why and what changed.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { announcementDecider } from '../../commands/announcement/decide.js';
import { announcementStream, type AnnouncementChanges, type AnnouncementEvent } from '../../commands/announcement/events.js';
import { assertNever, toDomainEvent } from '../../commands/decider.js';
import { NotFoundError } from '../../domain/errors.js';
import { formatAmount, toMoneyJson } from '../../domain/money.js';
import { formatPosition } from '../../store/position.js';
import { sliced } from '../../runtime/timeSlice.js';
import type { LedgerContext } from '../context.js';
import { admitHeavy } from '../heavyWork.js';
import { presentAnnouncement } from '../presenters.js';
import { announcementHistorySchema, announcementParamsSchema } from '../../schemas/announcements.js';
import { authProblems, heavyProblems, jsonResponse, problemResponse, problems } from '../../schemas/responses.js';

const historySchema = {
  operationId: 'getAnnouncementHistory',
  summary: 'Every version of an announcement',
  description: 'Each version with the event that made it, who wrote it and when, why, and the fields that changed.',
  tags: ['Announcements'],
  params: announcementParamsSchema,
  response: {
    200: jsonResponse('The versions, oldest first', announcementHistorySchema),
    400: problems.invalid,
    ...authProblems,
    404: problemResponse('No announcement has this id'),
    410: problems.gone,
    ...heavyProblems,
  },
};

function presentChanges(changes: AnnouncementChanges): Record<string, unknown> {
  const presented: Record<string, unknown> = { ...changes };
  if (changes.restates)
    presented.restates = changes.restates.map((part) => ({ announcement: part.announcementId, value: formatAmount(part.amount) }));
  for (const field of ['amount', 'statedEquivalent'] as const) {
    const value = changes[field];
    if (value) presented[field] = toMoneyJson(value);
  }
  if (changes.allocations)
    presented.allocations = changes.allocations.map((a) => ({ country: a.country, value: toMoneyJson(a.amount).value }));
  return presented;
}

/** Versions past which a history counts as heavy work. */
const LONG_HISTORY = 1_000;

export const historyRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.get('/announcements/:id/history', { schema: historySchema, config: { scope: 'read' } }, async (request, reply) => {
    const { id } = request.params;
    let state = announcementDecider.initialState();
    const versions = [];
    let revision = 0;
    for await (const recorded of sliced(context.store.readStream(announcementStream(id)))) {
      // Most histories are a handful of versions; a long one becomes heavy work, admitted through the gate.
      if (++revision === LONG_HISTORY && (await admitHeavy(request, reply)) === undefined) return reply;
      const event = toDomainEvent<AnnouncementEvent>(announcementDecider, recorded);
      state = announcementDecider.evolve(state, event);
      if (state.status === 'none') continue;
      const base = {
        revision: Number(recorded.revision),
        position: formatPosition(recorded.position),
        inclusionProof: `/audit/proofs/inclusion?position=${formatPosition(recorded.position)}`,
        event: event.type,
        eventId: recorded.id,
        recordedAt: String(recorded.metadata.recordedAt),
        actor: String(recorded.metadata.actor),
        correlationId: String(recorded.metadata.correlationId),
      };
      switch (event.type) {
        case 'FundingAnnounced': {
          const { announcementId: _id, ...fields } = event.data;
          versions.push({
            ...base,
            reason: null,
            changed: Object.keys(fields).filter((k) => (fields as Record<string, unknown>)[k] !== undefined),
            state: presentAnnouncement(state, recorded.revision),
          });
          break;
        }
        case 'FundingAmended':
          versions.push({
            ...base,
            reason: event.data.reason,
            changed: Object.keys(event.data.changes),
            changes: presentChanges(event.data.changes),
            state: presentAnnouncement(state, recorded.revision),
          });
          break;
        case 'FundingWithdrawn':
          versions.push({ ...base, reason: event.data.reason, changed: ['status'], state: presentAnnouncement(state, recorded.revision) });
          break;
        case 'FundingCommitted':
        case 'FundingDisbursed': {
          const { announcementId: _id, amount, ...entry } = event.data;
          const list = event.type === 'FundingCommitted' ? ['commitments', 'committed'] : ['disbursements', 'disbursed'];
          versions.push({
            ...base,
            reason: entry.reason ?? null,
            changed: list,
            changes: { value: formatAmount(amount), ...entry },
            state: presentAnnouncement(state, recorded.revision),
          });
          break;
        }
        default:
          assertNever(event);
      }
    }
    if (versions.length === 0) throw new NotFoundError(`announcement ${id} does not exist`);
    return reply.send({ id, versions });
  });
};
