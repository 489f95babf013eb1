// JSON shapes the API answers with: money as decimal strings, positions as decimal strings.
import type { ProgrammeView } from '../projections/models/programmes.js';
import type { Announcement, AnnouncementState } from '../commands/announcement/state.js';
import type { Programme } from '../commands/programme/state.js';
import { toMoneyJson, type MoneyJson } from '../domain/money.js';
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
  revision: number;
  position?: string;
}

export function presentAnnouncement(
  state: Exclude<AnnouncementState, { status: 'none' }>,
  revision: bigint,
  position?: Position,
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
