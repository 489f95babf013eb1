// Events of a funding announcement (stream announcement-{id}), and the fields they carry.
import type { Money } from '../../domain/money.js';
import type { DomainEvent } from '../decider.js';

/** Part of an announcement's amount going to one country (ISO 3166-1 alpha-2 or XK). */
export interface Allocation {
  readonly country: string;
  readonly amount: Money;
}

export interface Source {
  readonly url: string;
  readonly publisher?: string | undefined;
  readonly publishedOn?: string | undefined;
}

/**
 * What an announcement says. Where the money goes is `country` (all of it to one country),
 * or `allocations` (summing exactly to `amount`), or neither (unallocated); never both.
 */
export interface AnnouncementFields {
  readonly funder: string;
  readonly programme: string;
  readonly title: string;
  readonly announcedOn: string;
  readonly amount: Money;
  readonly country?: string | undefined;
  readonly allocations?: readonly Allocation[] | undefined;
  /** The other-currency figure the source quoted beside the amount: kept as quoted, never used in totals. */
  readonly statedEquivalent?: Money | undefined;
  readonly source?: Source | undefined;
  readonly tags: readonly string[];
  /**
   * The parts of `amount` that re-announce money of earlier announcements (same currency). Absent in events written
   * before schema version 2; the upcaster reads those as restating nothing.
   */
  readonly restates?: readonly Restatement[] | undefined;
}

/** A part of this announcement's amount that re-announces money first announced by another announcement. */
export interface Restatement {
  readonly announcementId: string;
  readonly amount: Money;
}

/** Fields an amendment can change; null removes an optional field. */
export interface AnnouncementChanges {
  readonly funder?: string;
  readonly programme?: string;
  readonly title?: string;
  readonly announcedOn?: string;
  readonly amount?: Money;
  readonly country?: string | null;
  readonly allocations?: readonly Allocation[] | null;
  readonly statedEquivalent?: Money | null;
  readonly source?: Source | null;
  readonly tags?: readonly string[];
  /** null or an empty list: restates nothing any more. */
  readonly restates?: readonly Restatement[] | null;
}

export type FundingAnnounced = DomainEvent<'FundingAnnounced', AnnouncementFields & { announcementId: string }>;

export type FundingAmended = DomainEvent<'FundingAmended', { announcementId: string; changes: AnnouncementChanges; reason: string }>;

export type FundingWithdrawn = DomainEvent<'FundingWithdrawn', { announcementId: string; reason: string }>;

/**
 * Money committed against an announcement (IATI's commitment, USAspending's obligation), on the date `on`, in the
 * announcement's currency. A negative amount corrects an earlier commitment and carries a reason; nothing is edited.
 */
export type FundingCommitted = DomainEvent<
  'FundingCommitted',
  { announcementId: string; amount: Money; on: string; reason?: string | undefined; source?: Source | undefined }
>;

/**
 * Money paid out against an announcement (IATI's disbursement, USAspending's outlay), on `on`, to `country` (the
 * announcement's single country when the request named none; always recorded). Negative amounts correct, with a reason.
 */
export type FundingDisbursed = DomainEvent<
  'FundingDisbursed',
  { announcementId: string; amount: Money; on: string; country: string; reason?: string | undefined; source?: Source | undefined }
>;

export type AnnouncementEvent = FundingAnnounced | FundingAmended | FundingWithdrawn | FundingCommitted | FundingDisbursed;

export const ANNOUNCEMENT_EVENT_TYPES = [
  'FundingAnnounced',
  'FundingAmended',
  'FundingWithdrawn',
  'FundingCommitted',
  'FundingDisbursed',
] as const;

export const ANNOUNCEMENT_STREAM_PREFIX = 'announcement-';

export function announcementStream(id: string): string {
  return `${ANNOUNCEMENT_STREAM_PREFIX}${id}`;
}
