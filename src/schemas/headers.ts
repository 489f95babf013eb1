// Headers the routes read and send beyond their bodies; documented in openapi.yaml, checked by the handlers themselves.
import { z } from 'zod';

export const responseHeaders = {
  etag: z
    .string()
    .meta({ description: 'The stream revision, quoted; send it back as If-Match to amend only what you saw', examples: ['"0"'] }),
  location: z.string().meta({
    description: 'Path of the created or changed resource',
    examples: ['/announcements/3f8e2a4c-9d41-4b7e-8a52-1c6d0e9f7b23', '/programmes/oic-supply-chains'],
  }),
  positionEtag: z.string().meta({
    description: 'The position the answer reflects, quoted; send it as If-None-Match to get 304 while nothing changed',
    examples: ['"42"'],
  }),
  checkpointEtag: z.string().meta({
    description:
      'The tree size and a digest of the signed checkpoint, quoted; send it as If-None-Match to get 304 while the tree is unchanged',
    examples: ['"42-3q2-7wAAAAAAAAAAAAAAAA"'],
  }),
  ledgerPosition: z.string().meta({ description: 'Global position the answer reflects', examples: ['42'] }),
  cacheControl: z.string().meta({ description: 'Always no-cache: revalidate with If-None-Match', examples: ['no-cache'] }),
  retryAfter: z.string().meta({ description: 'Seconds to wait before retrying', examples: ['2'] }),
  contentDisposition: z.string().meta({
    description: 'A file name for the download, with the position it ends at',
    examples: ['attachment; filename="funding-ledger-audit-42.jsonl"'],
  }),
  wwwAuthenticate: z.string().meta({ description: 'The authentication scheme to use', examples: ['Bearer realm="funding-ledger"'] }),
} as const;

/**
 * Request headers the handlers read themselves, with their own problem messages; routes list them under
 * `requestHeaders` in their schema, which openapi.ts turns into header parameters (Fastify does not validate them).
 */
export const requestHeaders = {
  idempotencyKey: z.string().meta({
    description: 'Makes the write safe to retry: 1-200 visible ASCII characters; a retry with the same key and body gets the first answer',
  }),
  correlationId: z.string().meta({
    description:
      'Recorded as the correlationId of the events written (1-200 visible ASCII characters); without it, the trace id of the request ' +
      'while tracing is on, else the request id',
  }),
  ifMatch: z.string().meta({
    description: 'The revision you last saw, quoted ("3"): the write is refused with 412 if the stream has moved on',
    examples: ['"0"'],
  }),
  ifNoneMatch: z
    .string()
    .meta({ description: 'The ETag of an earlier answer: 304 while the ledger is still at that position', examples: ['"42"'] }),
} as const;

/** What every command (a write through the ledger's command handler) reads. */
export const commandHeaders = {
  'Idempotency-Key': requestHeaders.idempotencyKey,
  'X-Correlation-ID': requestHeaders.correlationId,
} as const;
