// The ledger as an import would leave it, step by step in the order the import writes: each announcement and flow of
// the file is decided by the real decider, against the store and the file's earlier steps, before anything is written.
import { announcementDecider, type AnnounceFunding, type AnnouncementCommand } from '../commands/announcement/decide.js';
import { announcementStream, type Restatement } from '../commands/announcement/events.js';
import type { RestatedAnnouncement, RestatedFacts } from '../commands/announcement/restatements.js';
import type { AnnouncementState } from '../commands/announcement/state.js';
import { loadStream } from '../commands/load.js';
import { LedgerError, type FieldError } from '../domain/errors.js';
import { metadataMayHold, type EventStore } from '../store/port.js';
import { IMPORT_ACTOR, type IdentifiedAnnouncement } from './content.js';
import { flowCommandOf, type IdentifiedFlow } from './flowFile.js';

/**
 * What the ledger holds about the announcements `earlierIds` names, as the restatements read model tells it (who
 * restates how much of each, ledger-wide). Imports read no read model, so the caller folds one (cli/restatementFacts.ts).
 */
export type StoredRestatedFacts = (selfId: string, earlierIds: readonly string[]) => Promise<RestatedFacts>;

export type AnnounceContext = AnnounceFunding['context'];

/** A step the decider accepted, or the field errors it refused it with (field '' when it named none). */
export type Decision<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

export class PendingLedger {
  /** States of the announcements this import announces or records flows against, as its steps so far leave them. */
  private readonly states = new Map<string, AnnouncementState>();
  private readonly announcedHere = new Set<string>();
  /** Idempotency keys of the import's own writes in the streams `states` loaded from the store. */
  private readonly recordedKeys = new Set<string>();
  /** By earlier announcement: minor units restated from it by announcements of this import, by the later one. */
  private readonly restatedHere = new Map<string, Map<string, number>>();

  constructor(
    private readonly store: EventStore,
    private readonly storedFacts: StoredRestatedFacts | undefined,
  ) {}

  /** Announces (then withdraws, when the file shows it withdrawn); the context is what the write must decide with. */
  async announce(announcement: IdentifiedAnnouncement): Promise<Decision<AnnounceContext>> {
    const { id, fields, withdrawalReason } = announcement;
    const restates = fields.restates ?? [];
    // The plan registered every programme the ledger did not know, so the programme check holds by construction.
    const context: AnnounceContext = {
      programmeRegistered: true,
      ...(restates.length > 0 && { restated: await this.factsFor(id, restates) }),
    };
    const announced = this.decide(id, { status: 'none' }, { type: 'AnnounceFunding', data: { announcementId: id, fields }, context });
    if (!announced.ok) return announced;
    this.announcedHere.add(id);
    if (withdrawalReason === undefined) this.record(id, restates);
    else this.decide(id, announced.value, { type: 'WithdrawFunding', data: { announcementId: id, reason: withdrawalReason } });
    return { ok: true, value: context };
  }

  /** `present` when the store already holds the flow's event (an earlier run of the same file). */
  async flow(flow: IdentifiedFlow): Promise<'present' | Decision<undefined>> {
    const state = await this.stateOf(flow.announcementId);
    if (this.recordedKeys.has(flow.key)) return 'present';
    const decided = this.decide(flow.announcementId, state, flowCommandOf(flow));
    return decided.ok ? { ok: true, value: undefined } : decided;
  }

  private async stateOf(id: string): Promise<AnnouncementState> {
    const known = this.states.get(id);
    if (known !== undefined) return known;
    const { state } = await loadStream(this.store, announcementDecider, announcementStream(id), undefined, (event) => {
      // As the command handler tells an import's own write (isWriteOf): its key, actor `import` and no API key.
      if (!metadataMayHold(event, 'idempotencyKey')) return;
      const { idempotencyKey, actor, keyId } = event.metadata;
      if (typeof idempotencyKey === 'string' && actor === IMPORT_ACTOR && keyId === undefined) this.recordedKeys.add(idempotencyKey);
    });
    this.states.set(id, state);
    return state;
  }

  private decide(id: string, state: AnnouncementState, command: AnnouncementCommand): Decision<AnnouncementState> {
    try {
      const next = announcementDecider.decide(state, command).reduce(announcementDecider.evolve, state);
      this.states.set(id, next);
      return { ok: true, value: next };
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      return { ok: false, errors: error.errors.length > 0 ? error.errors : [{ field: '', message: error.message }] };
    }
  }

  /** As the restatements read model folds it: an active announcement's parts count against the ones it names. */
  private record(laterId: string, parts: readonly Restatement[]): void {
    for (const part of parts) {
      let by = this.restatedHere.get(part.announcementId);
      if (by === undefined) this.restatedHere.set(part.announcementId, (by = new Map<string, number>()));
      by.set(laterId, part.amount.minor);
    }
  }

  private restatedHereFrom(earlierId: string, except: string): number {
    let sum = 0;
    for (const [laterId, minor] of this.restatedHere.get(earlierId) ?? []) if (laterId !== except) sum += minor;
    return sum;
  }

  /**
   * The store's facts about the announcements named, with what this import's earlier steps add: announcements it
   * announced, and its parts restating stored ones. A new announcement closes no cycle: nothing names it yet.
   */
  private async factsFor(selfId: string, parts: readonly Restatement[]): Promise<RestatedFacts> {
    const ids = parts.map((part) => part.announcementId);
    const inStore = ids.filter((id) => !this.announcedHere.has(id));
    if (inStore.length > 0 && this.storedFacts === undefined) {
      throw new Error('an import with restated parts needs the restatement facts of the ledger (StoredRestatedFacts)');
    }
    const stored: RestatedFacts =
      inStore.length > 0 && this.storedFacts !== undefined ? await this.storedFacts(selfId, inStore) : new Map();
    const facts = new Map<string, RestatedAnnouncement>();
    for (const id of ids) {
      const state = this.announcedHere.has(id) ? this.states.get(id) : undefined;
      const earlier: RestatedAnnouncement | undefined =
        state !== undefined && state.status !== 'none'
          ? { status: state.status, amount: state.announcement.amount, restatedByOthers: 0, leadsBack: false }
          : stored.get(id);
      if (earlier === undefined) continue;
      facts.set(id, { ...earlier, restatedByOthers: earlier.restatedByOthers + this.restatedHereFrom(id, selfId) });
    }
    return facts;
  }
}
