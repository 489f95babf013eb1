// When the event at a position was recorded, read from the journal (GET /events, which needs a key with the "audit" scope): shown beside the slider's position when the key may read it.
import { positionBefore } from './moment.js';

export interface JournalPage {
  readonly items: readonly { readonly position: string; readonly metadata: { readonly recordedAt?: unknown } }[];
}

/** Times already read (a recorded event never changes), and whether this reader's key may read the journal at all. */
export class RecordedTimes {
  private readonly known = new Map<string, string | null>();
  private refused = false;

  constructor(
    /** GET /events with these parameters. */
    private readonly readJournal: (params: URLSearchParams, signal?: AbortSignal) => Promise<JournalPage>,
    /** True for an answer that says this key may not read the journal (401, 403). */
    private readonly isRefusal: (error: unknown) => boolean,
  ) {}

  /** Asks again after the key changed. */
  forgetRefusal(): void {
    this.refused = false;
  }

  /** The time the event at `position` was recorded; undefined when the journal cannot say (no event there, a key without "audit"). */
  async at(position: string, signal?: AbortSignal): Promise<string | undefined> {
    const before = positionBefore(position);
    if (before === undefined || this.refused) return undefined;
    if (this.known.has(position)) return this.known.get(position) ?? undefined;
    const page = await this.journal(new URLSearchParams({ after: before, limit: '1' }), signal);
    if (page === undefined) return undefined;
    const item = page.items[0];
    const time = item?.position === position && typeof item.metadata.recordedAt === 'string' ? item.metadata.recordedAt : null;
    this.known.set(position, time);
    return time ?? undefined;
  }

  /** The position of the ledger's first event; undefined when the journal cannot say. */
  async first(): Promise<string | undefined> {
    if (this.refused) return undefined;
    const page = await this.journal(new URLSearchParams({ limit: '1' }));
    return page?.items[0]?.position;
  }

  /** One page; undefined (and no more asking) when the key may not read the journal, undefined too on a passing failure. */
  private async journal(params: URLSearchParams, signal?: AbortSignal): Promise<JournalPage | undefined> {
    try {
      return await this.readJournal(params, signal);
    } catch (error) {
      if (signal?.aborted === true) throw error;
      if (this.isRefusal(error)) this.refused = true;
      return undefined;
    }
  }
}
