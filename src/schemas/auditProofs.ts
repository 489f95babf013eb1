// Query and response schemas of the journal tree's public routes: its signed checkpoint, verifier key and proofs.
import { z } from 'zod';
import { positionSchema } from './common.js';
import { positionParamSchema } from './totals.js';

/**
 * A tree size or leaf index in a query: decimal digits only, so "", "1e3", "0x10" and " 4" are refused rather than
 * coerced (Number("") is 0). Bounded to what a tree can hold exactly.
 */
const countParamSchema = (example: string) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a whole number such as 42, in decimal')
    .transform((text) => Number(text))
    .refine(Number.isSafeInteger, 'is too large')
    .meta({ examples: [example] });

export const inclusionQuerySchema = z
  .strictObject({
    position: positionParamSchema.optional().meta({ description: "The event's global position, as `/events` gives it", examples: ['42'] }),
    leafIndex: countParamSchema('41')
      .optional()
      .meta({ description: "Instead of `position`: the event's leaf index, as `/events` gives it" }),
    treeSize: countParamSchema('100')
      .optional()
      .meta({ description: "The size of the tree to prove inclusion in (a checkpoint's size); the current size by default" }),
  })
  .superRefine((query, ctx) => {
    if ((query.position === undefined) === (query.leafIndex === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['position'], message: 'give exactly one of position and leafIndex' });
    }
  });

export const checkpointQuerySchema = z.strictObject({
  treeSize: countParamSchema('100')
    .optional()
    .meta({ description: 'A checkpoint of this older size (signed now, with the same key); the current size by default' }),
});

export const consistencyQuerySchema = z.strictObject({
  from: countParamSchema('10').meta({ description: 'The older tree size (a checkpoint the client holds)' }),
  to: countParamSchema('20').optional().meta({ description: 'The newer tree size; the current size by default' }),
});

const base64HashSchema = z
  .string()
  .meta({ description: 'A 32-byte SHA-256 hash, standard base64', examples: ['47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='] });

const treeSizeSchema = z
  .number()
  .int()
  .min(0)
  .meta({ description: 'Leaves in the tree: events, in global order', examples: [100] });

export const inclusionProofSchema = z
  .object({
    position: positionSchema,
    leafIndex: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Where the event sits in the tree: leaf i is the i-th event of the journal', examples: [41] }),
    treeSize: treeSizeSchema,
    leafHash: base64HashSchema.meta({ description: "SHA-256(0x00 || the 32 bytes of the event's `hash`), standard base64" }),
    hashes: z
      .array(base64HashSchema)
      .meta({ description: 'The audit path, PATH(leafIndex, D[treeSize]) of RFC 9162 2.1.3.1, leaf side first' }),
  })
  .meta({
    id: 'InclusionProof',
    description:
      'RFC 9162 inclusion proof of one event in the journal tree of `treeSize` leaves; verify it against a signed checkpoint of that size',
  });

export const consistencyProofSchema = z
  .object({
    from: treeSizeSchema,
    to: treeSizeSchema,
    hashes: z.array(base64HashSchema).meta({ description: 'PROOF(from, D[to]) of RFC 9162 2.1.4.1; empty when from is 0 or equals to' }),
  })
  .meta({ id: 'ConsistencyProof', description: 'RFC 9162 consistency proof: the tree of `to` leaves extends the tree of `from` leaves' });

/** Plain-text bodies are sent as is, never through the serializer: these document them. */
export const signedCheckpointSchema = z.string().meta({
  description:
    'A C2SP signed note (c2sp.org/signed-note) whose text is a C2SP tlog-checkpoint: the origin line `funding-ledger/<id>`, ' +
    'the tree size in decimal, the root hash in standard base64; then a blank line and the Ed25519 signature line',
});

export const verifierKeySchema = z.string().meta({
  description:
    'The C2SP verifier key (vkey) of the checkpoints: `<name>+<8 hex digit key id>+<base64(0x01 || Ed25519 public key)>`, then a newline',
});
