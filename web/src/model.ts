// The shapes the dashboard reads from the API (openapi.yaml has the full schemas).

export const CURRENCIES = ['GBP', 'EUR'] as const;
export type Currency = (typeof CURRENCIES)[number];

export interface Money {
  readonly value: string;
  readonly currency: Currency;
}

export interface Figures {
  readonly count: number;
  readonly amounts: readonly Money[];
  readonly converted?: Money;
  readonly unconverted?: readonly string[];
}

export const STAGES = ['announced', 'committed', 'disbursed'] as const;
export type Stage = (typeof STAGES)[number];

/** Which announced money the totals count: all of it at face value, or only what no earlier announcement announced. */
export const BASES = ['announced', 'new'] as const;
export type Basis = (typeof BASES)[number];

export interface TotalsRow extends Figures {
  readonly stage?: Stage;
  readonly programme?: string;
  readonly country?: string;
  readonly year?: number;
  readonly funder?: string;
}

export interface Totals {
  readonly position: string;
  readonly groupBy: readonly string[];
  readonly currency: Currency | null;
  readonly rows: readonly TotalsRow[];
  readonly total: Figures;
}

export interface Programme {
  readonly code: string;
  readonly name: string;
  readonly description?: string;
}

export interface Announcement {
  readonly id: string;
  readonly status: 'active' | 'withdrawn';
  readonly funder: string;
  readonly programme: string;
  readonly title: string;
  readonly announcedOn: string;
  readonly amount: Money;
  readonly country?: string;
  readonly allocations?: readonly { readonly country: string; readonly value: string }[];
  readonly statedEquivalent?: Money;
  readonly source?: { readonly url: string; readonly publisher?: string; readonly publishedOn?: string };
  readonly tags: readonly string[];
  readonly withdrawalReason?: string;
  readonly revision: number;
  /** The parts of its amount that re-announce money of earlier announcements. */
  readonly restates?: readonly RestatedPart[];
  /** The later announcements that re-announce part of this one. */
  readonly restatedBy?: readonly RestatedPart[];
  /** The sums committed and paid out against it, in its currency; absent when none. */
  readonly committed?: string;
  readonly disbursed?: string;
}

export interface RestatedPart {
  readonly announcement: string;
  readonly value: string;
}

export interface AnnouncementPage {
  readonly items: readonly Announcement[];
  readonly nextCursor: string | null;
  readonly position: string;
}

export interface HistoryVersion {
  readonly revision: number;
  readonly position: string;
  readonly event: 'FundingAnnounced' | 'FundingAmended' | 'FundingWithdrawn' | 'FundingCommitted' | 'FundingDisbursed';
  readonly recordedAt: string;
  readonly actor: string;
  readonly reason: string | null;
  readonly changed: readonly string[];
  readonly state: Announcement;
}

export interface AnnouncementHistory {
  readonly id: string;
  readonly versions: readonly HistoryVersion[];
}
