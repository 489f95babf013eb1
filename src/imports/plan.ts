// Holds a file's announcements against the ledger: what to write, what is already there, what would conflict.
import { announcementDecider } from '../commands/announcement/decide.js';
import { announcementStream } from '../commands/announcement/events.js';
import type { AnnouncementState } from '../commands/announcement/state.js';
import { loadStream } from '../commands/load.js';
import { programmeDecider } from '../commands/programme/decide.js';
import { programmeStream } from '../commands/programme/events.js';
import type { EventStore } from '../store/port.js';
import { contentOf, type IdentifiedAnnouncement } from './content.js';
import type { RowProblem } from './problems.js';

export interface ImportPlan {
  /** New to the ledger: announce (then withdraw, when the file shows it withdrawn). */
  readonly announce: readonly IdentifiedAnnouncement[];
  /** Recorded with this content but still active, where the file shows it withdrawn: an earlier import stopped between the two. */
  readonly withdraw: readonly IdentifiedAnnouncement[];
  readonly present: readonly IdentifiedAnnouncement[];
  /** Programmes the announcements to write name and the ledger does not know, with the name to register. */
  readonly programmes: readonly { readonly code: string; readonly name: string }[];
  readonly problems: readonly RowProblem[];
}

type Verdict = 'announce' | 'withdraw' | 'present' | RowProblem;

/** An import never changes what the ledger already holds: equal content is skipped, different content is refused. */
function verdictOf(announcement: IdentifiedAnnouncement, state: AnnouncementState): Verdict {
  if (state.status === 'none') return 'announce';
  const { id, lines, withdrawalReason } = announcement;
  const line = lines[0] ?? 0;
  const { id: _id, ...recorded } = state.announcement;
  if (contentOf(recorded) !== announcement.content) {
    return {
      line,
      field: 'id',
      message: `announcement ${id} is already in the ledger with different content; an import never changes it (amend it through the API)`,
    };
  }
  if (state.status === 'active') return withdrawalReason === undefined ? 'present' : 'withdraw';
  if (withdrawalReason === undefined)
    return { line, field: 'status', message: `announcement ${id} is withdrawn in the ledger but active in this file` };
  if (withdrawalReason !== state.withdrawalReason) {
    return {
      line,
      field: 'withdrawalReason',
      message: `announcement ${id} was withdrawn in the ledger for another reason: "${state.withdrawalReason}"`,
    };
  }
  return 'present';
}

export async function planImport(
  store: EventStore,
  announcements: readonly IdentifiedAnnouncement[],
  onChecked: (done: number) => void = () => undefined,
): Promise<ImportPlan> {
  const plan = {
    announce: [] as IdentifiedAnnouncement[],
    withdraw: [] as IdentifiedAnnouncement[],
    present: [] as IdentifiedAnnouncement[],
    problems: [] as RowProblem[],
  };
  for (const [index, announcement] of announcements.entries()) {
    const { state } = await loadStream(store, announcementDecider, announcementStream(announcement.id));
    const verdict = verdictOf(announcement, state);
    if (typeof verdict === 'object') plan.problems.push(verdict);
    else plan[verdict].push(announcement);
    onChecked(index + 1);
  }
  const programmes = new Map<string, string>();
  const checked = new Set<string>();
  for (const { programme } of plan.announce) {
    if (checked.has(programme.code)) continue;
    checked.add(programme.code);
    const { state } = await loadStream(store, programmeDecider, programmeStream(programme.code));
    if (state.status !== 'registered') programmes.set(programme.code, programme.name);
  }
  return { ...plan, programmes: [...programmes].map(([code, name]) => ({ code, name })) };
}
