// JSON shapes the API answers with: money as decimal strings, positions as decimal strings.
import type { ProgrammeView } from '../projections/models/programmes.js';
import type { Announcement, AnnouncementState, FlowEntry } from '../commands/announcement/state.js';
import type { Programme } from '../commands/programme/state.js';
import { formatAmount, toMoneyJson, type MoneyJson } from '../domain/money.js';
import type { Position } from '../store/port.js';
import { formatPosition } from '../store/position.js';

export interface AnnouncementJson {
  id: string;
  status: 'active' | 'withdrawn';
  funder: string;
  programme: string;
  title: string;
  announcedOn: string;
  amount: MoneyJson;
  country?: string;
  allocations?: { country: string; value: string }[];
  statedEquivalent?: MoneyJson;
  source?: Announcement['source'];
  tags: readonly string[];
  withdrawalReason?: string;
  restates?: { announcement: string; value: string }[];
  restatedBy?: { announcement: string; value: string }[];
  commitments?: FlowJson[];
  committed?: string;
  disbursements?: (FlowJson & { country: string })[];
  disbursed?: string;
  revision: number;
  position?: string;
}

interface FlowJson {
  value: string;
  on: string;
  reason?: string;
  source?: Announcement['source'];
  position?: string;
}

/** What an announcement's answer shows beside its own stream: from the read models, or from where its events lie. */
export interface AnnouncementExtras {
  /** Who restates it and how much (minor units of its currency), from the restatements read model. */
  readonly restatedBy?: readonly { readonly announcementId: string; readonly minor: number }[];
  /** Global positions of its commitments and of its disbursements, in order (known when its stream was just read). */
  readonly flowPositions?: { readonly commitments: readonly Position[]; readonly disbursements: readonly Position[] };
}

function presentFlow(entry: FlowEntry, position: Position | undefined): FlowJson {
  return {
    value: formatAmount(entry.amount),
    on: entry.on,
    ...(entry.reason !== undefined && { reason: entry.reason }),
    ...(entry.source !== undefined && { source: entry.source }),
    ...(position !== undefined && { position: formatPosition(position) }),
  };
}

/** Restatements, commitments and disbursements: each shown only when there are any, so most answers stay as they were. */
function issue20Fields(state: Exclude<AnnouncementState, { status: 'none' }>, extras: AnnouncementExtras): Partial<AnnouncementJson> {
  const { announcement: a, flows } = state;
  const currency = a.amount.currency;
  const shown: Partial<AnnouncementJson> = {};
  if (a.restates !== undefined && a.restates.length > 0) {
    shown.restates = a.restates.map((part) => ({ announcement: part.announcementId, value: formatAmount(part.amount) }));
  }
  if (extras.restatedBy !== undefined && extras.restatedBy.length > 0) {
    shown.restatedBy = extras.restatedBy.map((by) => ({
      announcement: by.announcementId,
      value: formatAmount({ currency, minor: by.minor }),
    }));
  }
  if (flows.commitments.length > 0) {
    shown.commitments = flows.commitments.map((entry, index) => presentFlow(entry, extras.flowPositions?.commitments[index]));
    shown.committed = formatAmount({ currency, minor: flows.committed });
  }
  if (flows.disbursements.length > 0) {
    shown.disbursements = flows.disbursements.map((entry, index) => ({
      ...presentFlow(entry, extras.flowPositions?.disbursements[index]),
      country: entry.country,
    }));
    shown.disbursed = formatAmount({ currency, minor: flows.disbursed });
  }
  return shown;
}

export function presentAnnouncement(
  state: Exclude<AnnouncementState, { status: 'none' }>,
  revision: bigint,
  position?: Position,
  extras: AnnouncementExtras = {},
): AnnouncementJson {
  const a = state.announcement;
  return {
    id: a.id,
    status: state.status,
    funder: a.funder,
    programme: a.programme,
    title: a.title,
    announcedOn: a.announcedOn,
    amount: toMoneyJson(a.amount),
    ...(a.country !== undefined && { country: a.country }),
    ...(a.allocations !== undefined && {
      allocations: a.allocations.map((allocation) => ({ country: allocation.country, value: toMoneyJson(allocation.amount).value })),
    }),
    ...(a.statedEquivalent !== undefined && { statedEquivalent: toMoneyJson(a.statedEquivalent) }),
    ...(a.source !== undefined && { source: a.source }),
    tags: a.tags,
    ...(state.status === 'withdrawn' && { withdrawalReason: state.withdrawalReason }),
    ...issue20Fields(state, extras),
    revision: Number(revision),
    ...(position !== undefined && { position: formatPosition(position) }),
  };
}

export function presentProgramme(programme: Programme | ProgrammeView, revision: bigint, position?: Position) {
  return {
    code: programme.code,
    name: programme.name,
    description: programme.description,
    registeredAt: programme.registeredAt,
    revision: Number(revision),
    ...(position !== undefined && { position: formatPosition(position) }),
  };
}

export function etagOf(revision: bigint): string {
  return `"${revision.toString()}"`;
}
