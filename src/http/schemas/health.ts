// Response schemas of the health routes.
import { z } from 'zod';
import { positionSchema } from './common.js';

export const livenessSchema = z.object({ status: z.literal('live') }).meta({ id: 'Liveness', description: 'The process is up' });

export const readinessSchema = z
  .object({
    ready: z.boolean().meta({ description: 'True once every projection has caught up with the event store' }),
    position: positionSchema,
  })
  .meta({ id: 'Readiness', description: 'Whether the projections have caught up, and the position they have applied' });
