// Every projection the ledger runs, in one list: the service, replay and the audit tools share it.
import { announcementsProjection } from './announcements.js';
import { exchangeRatesProjection } from './exchangeRates.js';
import { idempotencyProjection } from './idempotency.js';
import { programmesProjection } from './programmes.js';
import type { Projection } from './projection.js';
import { totalsProjection } from './totals/projection.js';

export const PROJECTIONS: readonly Projection<unknown>[] = [
  programmesProjection,
  announcementsProjection,
  exchangeRatesProjection,
  idempotencyProjection,
  totalsProjection,
] as Projection<unknown>[];
