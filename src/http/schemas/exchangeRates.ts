// Request schemas of the exchange-rate routes.
import { z } from 'zod';
import { RATE_PATTERN } from '../../commands/exchangeRate/events.js';
import { currencySchema, isoDateSchema } from './common.js';

export const recordExchangeRateBodySchema = z.strictObject({
  base: currencySchema,
  quote: currencySchema,
  rate: z
    .string({ error: (i) => (typeof i.input === 'number' ? 'send the rate as a decimal string such as "1.1876", not a JSON number' : 'is required') })
    .regex(RATE_PATTERN, 'must be a positive decimal string such as "1.1876"')
    .refine((r) => !/^0(\.0*)?$/.test(r), 'must be greater than zero'),
  effectiveOn: isoDateSchema,
  source: z.string().trim().min(1, 'say where the rate comes from').max(500),
});

export const exchangeRateQuerySchema = z.strictObject({
  base: currencySchema.optional(),
  quote: currencySchema.optional(),
});
