// Request and response schemas of the exchange-rate routes.
import { z } from 'zod';
import { RATE_PATTERN } from '../commands/exchangeRate/events.js';
import { currencySchema, isoDateSchema, positionSchema, refuseHiddenCharacters, revisionSchema } from './common.js';

export const recordExchangeRateBodySchema = z.strictObject({
  base: currencySchema,
  quote: currencySchema,
  rate: z
    .string({
      error: (i) => (typeof i.input === 'number' ? 'send the rate as a decimal string such as "1.1876", not a JSON number' : 'is required'),
    })
    .regex(RATE_PATTERN, 'must be a positive decimal string such as "1.1876"')
    .refine((r) => !/^0(\.0*)?$/.test(r), 'must be greater than zero'),
  effectiveOn: isoDateSchema,
  source: z.string().trim().min(1, 'say where the rate comes from').max(500).superRefine(refuseHiddenCharacters),
});

export const exchangeRateQuerySchema = z.strictObject({
  base: currencySchema.optional().meta({ description: 'Only rates from this currency' }),
  quote: currencySchema.optional().meta({ description: 'Only rates into this currency' }),
});

export const exchangeRateSchema = z
  .object({
    base: currencySchema,
    quote: currencySchema,
    rate: z.string().meta({ description: 'Units of quote per unit of base, as a decimal string', examples: ['1.1876'] }),
    effectiveOn: z.iso.date(),
    source: z.string(),
  })
  .meta({ id: 'ExchangeRate', description: 'A rate as recorded; it applies from effectiveOn until a later one' });

export const recordedExchangeRateSchema = exchangeRateSchema.extend({ revision: revisionSchema, position: positionSchema }).meta({
  id: 'RecordedExchangeRate',
  description: 'The rate just recorded, with the revision of its pair stream and the position of the write',
});

export const exchangeRateListSchema = z
  .object({ items: z.array(exchangeRateSchema), position: positionSchema })
  .meta({ id: 'ExchangeRateList', description: 'Every recorded rate, by pair, in the order recorded' });
