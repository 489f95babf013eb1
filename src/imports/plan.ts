// Holds a file's announcements and flows against the ledger: what to write, what is already there, what would conflict.
import { announcementDecider } from '../commands/announcement/decide.js';
import { announcementStream } from '../commands/announcement/events.js';
import type { AnnouncementState } from '../commands/announcement/state.js';
import { loadStream } from '../commands/load.js';
import { programmeDecider } from '../commands/programme/decide.js';
import { programmeStream } from '../commands/programme/events.js';
import type { FieldError } from '../domain/errors.js';
import type { EventStore } from '../store/port.js';
import { contentOf, type IdentifiedAnnouncement } from './content.js';
import type { IdentifiedFlow } from './flowFile.js';
import { PendingLedger, type AnnounceContext, type StoredRestatedFacts } from './pendingLedger.js';
import { pathOf, type RowProblem } from './problems.js';
import type { ValidAnnouncement } from './validate.js';

/** A write of the plan, in file order: an announcement with the facts it was decided with, or a flow. */
export type ImportStep =
  | { readonly kind: 'announce'; readonly announcement: IdentifiedAnnouncement; readonly context: AnnounceContext }
  | { readonly kind: 'flow'; readonly flow: IdentifiedFlow };

export interface ImportPlan {
  /** New to the ledger and accepted by the decider: announce (then withdraw, when the file shows it withdrawn). */
  readonly announce: readonly IdentifiedAnnouncement[];
  /** Commitments and disbursements the decider accepted and the ledger does not hold yet. */
  readonly flows: readonly IdentifiedFlow[];
  /** Announcements and flows to write, in file order. */
  readonly steps: readonly ImportStep[];
  /** Flows an earlier run of the file already recorded. */
  readonly flowsPresent: number;
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

export interface PlanOptions {
  /** Needed only when an announcement restates one the store holds. */
  readonly storedFacts?: StoredRestatedFacts | undefined;
  readonly onChecked?: (done: number) => void;
}

export async function planImport(
  store: EventStore,
  announcements: readonly IdentifiedAnnouncement[],
  flows: readonly IdentifiedFlow[],
  options: PlanOptions = {},
): Promise<ImportPlan> {
  const onChecked = options.onChecked ?? (() => undefined);
  const verdicts = {
    announce: [] as IdentifiedAnnouncement[],
    withdraw: [] as IdentifiedAnnouncement[],
    present: [] as IdentifiedAnnouncement[],
    problems: [] as RowProblem[],
  };
  for (const [index, announcement] of announcements.entries()) {
    const { state } = await loadStream(store, announcementDecider, announcementStream(announcement.id));
    const verdict = verdictOf(announcement, state);
    if (typeof verdict === 'object') verdicts.problems.push(verdict);
    else verdicts[verdict].push(announcement);
    onChecked(index + 1);
  }
  const decided = await decideInOrder(new PendingLedger(store, options.storedFacts), verdicts.announce, flows);
  const plan = { ...verdicts, ...decided, problems: [...verdicts.problems, ...decided.problems] };
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

const lineOf = (step: { announcement: IdentifiedAnnouncement } | { flow: IdentifiedFlow }): number =>
  'flow' in step ? step.flow.line : (step.announcement.lines[0] ?? 0);

/**
 * Every new announcement and flow through the decider in the order applyPlan writes them (file order), each seeing
 * the steps before it. A refused step is left out, so a later step naming it is refused in turn, as it would be on the
 * ledger. The withdrawals completing an earlier import come after them all, so no step here sees them.
 */
async function decideInOrder(ledger: PendingLedger, announce: readonly IdentifiedAnnouncement[], flows: readonly IdentifiedFlow[]) {
  const inFileOrder = [...announce.map((announcement) => ({ announcement })), ...flows.map((flow) => ({ flow }))].sort(
    (a, b) => lineOf(a) - lineOf(b),
  );
  const accepted = { announce: [] as IdentifiedAnnouncement[], flows: [] as IdentifiedFlow[], steps: [] as ImportStep[] };
  const problems: RowProblem[] = [];
  let flowsPresent = 0;
  const refused = (errors: readonly FieldError[], locate: ValidAnnouncement['locate'], line: number, orElse: string): void => {
    for (const error of errors) {
      const at = error.field === '' ? { line, field: orElse } : locate(pathOf(error.field));
      problems.push({ ...at, message: error.message });
    }
  };
  for (const step of inFileOrder) {
    if ('flow' in step) {
      const decision = await ledger.flow(step.flow);
      if (decision === 'present') flowsPresent += 1;
      else if (!decision.ok) refused(decision.errors, step.flow.locate, step.flow.line, 'announcement');
      else {
        accepted.flows.push(step.flow);
        accepted.steps.push({ kind: 'flow', flow: step.flow });
      }
      continue;
    }
    const { announcement } = step;
    const decision = await ledger.announce(announcement);
    if (!decision.ok) refused(decision.errors, announcement.locate, announcement.lines[0] ?? 0, 'id');
    else {
      accepted.announce.push(announcement);
      accepted.steps.push({ kind: 'announce', announcement, context: decision.value });
    }
  }
  return { ...accepted, flowsPresent, problems };
}
