// Request and response schemas of the programme routes.
import { z } from 'zod';
import { PROGRAMME_CODE_PATTERN } from '../commands/programme/events.js';
import { positionSchema, reasonSchema, refuseHiddenCharacters, revisionSchema } from './common.js';

export const programmeCodeSchema = z
  .string()
  .regex(PROGRAMME_CODE_PATTERN, 'must be 2-64 lower-case letters, digits or dashes, starting with a letter or digit');

const nameSchema = z.string().trim().min(1, 'is required').max(300).superRefine(refuseHiddenCharacters);
const descriptionSchema = z.string().trim().max(5000).superRefine(refuseHiddenCharacters);

export const registerProgrammeBodySchema = z.strictObject({
  code: programmeCodeSchema,
  name: nameSchema,
  description: descriptionSchema.default(''),
});

export const renameProgrammeBodySchema = z.strictObject({
  name: nameSchema,
  description: descriptionSchema.optional(),
  reason: reasonSchema,
});

export const programmeParamsSchema = z.strictObject({ code: programmeCodeSchema });

export const programmeSchema = z
  .object({
    code: z.string().meta({ examples: ['oic-supply-chains'] }),
    name: z.string(),
    description: z.string(),
    registeredAt: z.iso.datetime({ offset: true }),
    revision: revisionSchema,
    position: positionSchema
      .optional()
      .meta({ description: 'Global position of the write that produced this answer (write responses only)' }),
  })
  .meta({ id: 'Programme', description: 'A funding programme' });

export const programmeListSchema = z
  .object({ items: z.array(programmeSchema), position: positionSchema })
  .meta({ id: 'ProgrammeList', description: 'Every registered programme, by code' });
