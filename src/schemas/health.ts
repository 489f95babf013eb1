// Response schemas of the health routes.
import { z } from 'zod';
import { positionSchema } from './common.js';

export const livenessSchema = z.object({ status: z.literal('live') }).meta({ id: 'Liveness', description: 'The process is up' });

export const readinessSchema = z
  .object({
    ready: z.boolean().meta({ description: 'True once every projection has caught up with the event store' }),
    position: positionSchema,
    caughtUp: z.boolean().meta({ description: 'Every projection has caught up with the event store' }),
    overloaded: z.boolean().meta({ description: 'Event-loop delay, heap or RSS is over its limit: other routes answer 503 meanwhile' }),
    heavyWork: z
      .object({
        running: z.number().int().meta({ description: 'Heavy requests running now (exports, uncached totals, as-of, audit)' }),
        queued: z.number().int().meta({ description: 'Heavy requests waiting for a slot' }),
      })
      .meta({ description: 'The heavy-work queue (README "Heavy work")' }),
  })
  .meta({
    id: 'Readiness',
    description:
      'Ready when the projections have caught up and the service is not overloaded; the position they have applied, and the load',
  });
