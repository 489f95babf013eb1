// Public routes of the journal's Merkle tree: the signed checkpoint, the key that verifies it, inclusion and consistency proofs.
import { hash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { TreeRangeError } from '../../audit/merkle.js';
import { encodeProof } from '../../audit/merkleProofs.js';
import { NotFoundError } from '../../domain/errors.js';
import { formatPosition } from '../../store/position.js';
import type { LedgerContext } from '../context.js';
import { ifNoneMatchHolds } from '../consistency.js';
import {
  checkpointQuerySchema,
  consistencyProofSchema,
  consistencyQuerySchema,
  inclusionProofSchema,
  inclusionQuerySchema,
  signedCheckpointSchema,
  verifierKeySchema,
} from '../../schemas/auditProofs.js';
import { responseHeaders } from '../../schemas/headers.js';
import { emptyResponse, jsonResponse, looseResponses, problemResponse, problems } from '../../schemas/responses.js';

const TAGS = ['Audit'];

const checkpointHeaders = { ETag: responseHeaders.checkpointEtag, 'Cache-Control': responseHeaders.cacheControl };

const checkpointSchema = {
  operationId: 'getCheckpoint',
  summary: 'The signed checkpoint of the journal tree',
  description:
    'A C2SP signed checkpoint (tlog-checkpoint in a signed note, Ed25519) of the RFC 9162 Merkle tree over every event the projections ' +
    'have applied: leaf i is the i-th event of the journal, its 32-byte `hash`. Verify it with `/audit/verifier-key`. ' +
    'Send If-None-Match with the last ETag to get 304 while the tree has not grown. With `treeSize`, the checkpoint of the tree of ' +
    'that many leaves, to verify an inclusion proof of that size or compare with a checkpoint kept from then.',
  tags: TAGS,
  querystring: checkpointQuerySchema,
  // Text is sent as is, never through the serializer; the schema documents it.
  response: looseResponses({
    200: {
      description: 'The signed checkpoint',
      headers: checkpointHeaders,
      content: { 'text/plain': { schema: signedCheckpointSchema } },
    },
    304: emptyResponse('Not modified: the tree is still the one named in If-None-Match', checkpointHeaders),
    400: problems.invalid,
    500: problems.internal,
  }),
};

const verifierKeySchemaOfRoute = {
  operationId: 'getVerifierKey',
  summary: 'The key that verifies the checkpoints',
  description:
    "The C2SP verifier key text (vkey) of the ledger's signing key; its name is the checkpoints' origin line. Pin it out of band.",
  tags: TAGS,
  response: looseResponses({
    200: { description: 'The verifier key, then a newline', content: { 'text/plain': { schema: verifierKeySchema } } },
    500: problems.internal,
  }),
};

const inclusionSchema = {
  operationId: 'getInclusionProof',
  summary: 'Proof that one event is in the journal tree',
  description:
    'The RFC 9162 audit path of the event at `position` (or at `leafIndex`) in the tree of `treeSize` leaves (the current tree by ' +
    'default). ' +
    "Recompute the root from SHA-256(0x00 || the event's 32-byte `hash`) and the path, and compare it with a signed " +
    'checkpoint of that size.',
  tags: TAGS,
  querystring: inclusionQuerySchema,
  response: {
    200: jsonResponse('The inclusion proof', inclusionProofSchema),
    400: problemResponse(
      'A malformed query, or a treeSize beyond the tree, or an event (leafIndex) not within treeSize; `errors` names the field',
    ),
    404: problemResponse(
      'No event of the tree is at this position (it does not exist, or the projections have not applied it yet); `errors` names `position`',
    ),
    500: problems.internal,
  },
};

const consistencySchema = {
  operationId: 'getConsistencyProof',
  summary: 'Proof that the journal tree only grew between two sizes',
  description:
    'The RFC 9162 consistency proof between the tree of `from` leaves and the tree of `to` leaves (the current tree by default): ' +
    'with it, a checkpoint held since `from` shows that a later one extends it, so no earlier event was changed or removed.',
  tags: TAGS,
  querystring: consistencyQuerySchema,
  response: {
    200: jsonResponse('The consistency proof', consistencyProofSchema),
    400: problemResponse('A malformed query, `from` greater than `to`, or `to` beyond the tree; `errors` names the field'),
    500: problems.internal,
  },
};

export const auditProofRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const publicRoute = { scope: 'public' as const };

  app.get('/audit/checkpoint', { schema: checkpointSchema, config: publicRoute }, async (request, reply) => {
    const { treeSize } = request.query;
    // A size past the tree is a TreeRangeError naming treeSize (400).
    const checkpoint = treeSize === undefined ? context.checkpoints.latest() : context.checkpoints.at(treeSize);
    // The note's own digest, not only the size: a tree rebuilt over changed events has the same size and another root.
    const etag = `"${checkpoint.treeSize}-${hash('sha256', checkpoint.note, 'base64url').slice(0, 22)}"`;
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (ifNoneMatchHolds(request, etag)) return reply.code(304).send();
    return reply.type('text/plain; charset=utf-8').send(checkpoint.note);
  });

  app.get('/audit/verifier-key', { schema: verifierKeySchemaOfRoute, config: publicRoute }, async (_request, reply) =>
    reply.header('cache-control', 'no-cache').type('text/plain; charset=utf-8').send(`${context.checkpoints.identity.verifierKeyText}\n`),
  );

  app.get('/audit/proofs/inclusion', { schema: inclusionSchema, config: publicRoute }, async (request, reply) => {
    const { position, leafIndex, treeSize } = request.query;
    // Read once: the tree may grow between awaits, never within this synchronous handler body.
    const journal = context.projections.journal;
    const size = treeSize ?? journal.size;
    if (size > journal.size) throw new TreeRangeError('treeSize', `Tree size ${size} is not between 0 and ${journal.size}`);
    let index: number;
    if (position !== undefined) {
      const found = journal.indexOf(position);
      const text = formatPosition(position);
      if (found === undefined) {
        const message = `no event of the journal tree (${journal.size} leaves) is at position ${text}`;
        throw new NotFoundError(message, [{ field: 'position', message }]);
      }
      if (found >= size)
        throw new TreeRangeError('position', `the event at position ${text} is leaf ${found}, not in a tree of ${size} leaves`);
      index = found;
    } else {
      index = leafIndex as number;
    }
    const hashes = encodeProof(journal.tree.inclusionProof(index, size));
    return reply.send({
      position: formatPosition(journal.positionAt(index)),
      leafIndex: index,
      treeSize: size,
      leafHash: journal.tree.leafHash(index).toString('base64'),
      hashes,
    });
  });

  app.get('/audit/proofs/consistency', { schema: consistencySchema, config: publicRoute }, async (request, reply) => {
    const { from, to } = request.query;
    const tree = context.projections.journal.tree;
    const size = to ?? tree.size;
    return reply.send({ from, to: size, hashes: encodeProof(tree.consistencyProof(from, size)) });
  });
};
