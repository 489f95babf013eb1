// Every projection the ledger runs, in one list: the service, replay and the audit tools share it.
import { announcementsProjection } from '../models/announcements.js';
import { exchangeRatesProjection } from '../models/exchangeRates.js';
import { idempotencyProjection } from '../models/idempotency.js';
import { programmesProjection } from '../models/programmes.js';
import { restatementsProjection } from '../models/restatements.js';
import type { Projection } from './projection.js';
import { totalsProjection } from '../models/totals/projection.js';

export const PROJECTIONS: readonly Projection<unknown>[] = [
  programmesProjection,
  announcementsProjection,
  exchangeRatesProjection,
  idempotencyProjection,
  totalsProjection,
  restatementsProjection,
] as Projection<unknown>[];
