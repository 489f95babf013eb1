// POST /admin/backups: a consistent copy of the embedded store (events and API keys) taken while the service writes.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { BackupNotSupportedError } from '../../backup/backups.js';
import type { LedgerContext } from '../context.js';
import { backupManifestSchema } from '../../schemas/backups.js';
import { authProblems, jsonResponse, problemResponse, problems } from '../../schemas/responses.js';

const backupSchema = {
  operationId: 'createBackup',
  summary: 'Back up the embedded store',
  description:
    "Copies the event store and the API keys store under `DATA_DIR/backups/` with SQLite's online backup API while writes go on, " +
    'and answers the manifest written beside the copies, computed from the copies: restore with `ledger restore --from <file>`. ' +
    'Backups run one at a time; after each, the oldest beyond `BACKUP_KEEP` are removed. On EventStoreDB: 501, ' +
    "use the server's own backup.",
  tags: ['Backups'],
  response: {
    201: jsonResponse('The backup is on disk; this is its manifest', backupManifestSchema),
    // Takes no body; one that is sent must still be JSON.
    400: problems.invalid,
    ...authProblems,
    413: problems.tooLarge,
    415: problems.unsupportedMediaType,
    501: problemResponse("The ledger runs on EventStoreDB: back it up with the server's own backup"),
    503: problems.storeUnavailable,
    507: problemResponse('The disk under DATA_DIR/backups is full: the partial copy was removed, nothing was kept'),
  },
};

export const backupRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.post('/admin/backups', { schema: backupSchema, config: { scope: 'admin' } }, async (_request, reply) => {
    if (context.backups === undefined) {
      throw new BackupNotSupportedError(
        'this ledger runs on EventStoreDB, which this route cannot copy: back it up with the server\'s own backup (see README "Backups ' +
          'and restore")',
      );
    }
    return reply.code(201).send(await context.backups.take());
  });
};
