// Totals as they stood at a past moment: rebuilt from history up to a position, cached so repeats do not replay.
import { recordedAtOf, type EventStore, type Position } from '../../store/port.js';
import type { AsOfCheckpoints } from '../storage/asOfCheckpoints.js';
import { formatPosition, positionText } from '../../store/position.js';
import { ByteBoundedCache, countBoundedCache } from '../../runtime/byteBoundedCache.js';
import { runInSlices, TimeSlice } from '../../runtime/timeSlice.js';
import { totalsProjection } from '../models/totals/projection.js';
import { FoldedStates, foldEvents } from './fold.js';
import type { Projection } from './projection.js';
import { retainedBytesSteps } from '../../runtime/retainedBytes.js';
import type { TotalsState } from '../models/totals/state.js';
import type { TotalsHistory } from '../history/totalsHistory.js';
import { HistoryDamagedError } from '../history/recordFile.js';
import type { ScratchPool } from '../../runtime/scratch.js';

/** The history of the totals and the live state it was recorded beside: past states in milliseconds (issue 21). */
export interface HistorySource {
  readonly history: TotalsHistory;
  /** The live totals; undefined before the projections start. */
  readonly live: () => TotalsState | undefined;
  /** Where past states take their arrays from (and give them back to, on release). */
  readonly scratch: ScratchPool;
}

/** A moment in the ledger's history: right after a position, or the last event recorded at or before an instant. */
export type Moment = { readonly position: Position } | { readonly time: string };

export interface PastTotals {
  /** The last event folded in; undefined when the moment is before the first event. */
  readonly position: Position | undefined;
  readonly state: TotalsState;
  /**
   * Present on a state made for this caller alone (from the history of the totals): call it once the state is no
   * longer read, so its arrays are reused. Not calling it only costs fresh memory next time.
   */
  readonly release?: () => void;
}

/** The bytes of past states kept by default: three at 60,000 events, where one holds 9 MB (retainedBytesSteps). */
export const DEFAULT_AS_OF_CACHE_BYTES = 32 * 1024 * 1024;
const TIME_CACHE_SIZE = 1000;

/** The last event at or before a time; `open` when nothing after the time was recorded yet, so a later write may still move it. */
interface ResolvedTime {
  readonly key: string;
  readonly open: boolean;
}

const keyOf = positionText;

export class AsOfTotals {
  private readonly states: ByteBoundedCache<string, PastTotals & { readonly bytes: number }>;
  private readonly positionsByTime = countBoundedCache<string, ResolvedTime>(TIME_CACHE_SIZE);
  private readonly building = new Map<string, Promise<PastTotals>>();

  constructor(
    private readonly store: EventStore,
    /** Where rebuilds leave totals every `everyEvents` events folded, and start from the nearest; none: always from the first event. */
    private readonly checkpointing?: { readonly checkpoints: AsOfCheckpoints; readonly everyEvents: number },
    /** Bound on the bytes of past states kept (an estimate: see approximateBytes). */
    cacheBytes: number = DEFAULT_AS_OF_CACHE_BYTES,
    /** When given and available, past states come from it; the rebuild is what answers otherwise. */
    private readonly history?: HistorySource,
  ) {
    this.states = new ByteBoundedCache(cacheBytes, (past) => past.bytes);
  }

  /** The totals at a moment when they are at hand without reading the store; undefined when they need a rebuild. */
  cachedAt(moment: Moment): PastTotals | undefined {
    if ('position' in moment) return this.states.get(formatPosition(moment.position));
    const resolved = this.positionsByTime.get(moment.time);
    return resolved === undefined || resolved.open ? undefined : this.states.get(resolved.key);
  }

  /**
   * Lets go of the past states kept: each is a burst's (9 MB at 60,000 events), and a rebuild from the nearest
   * checkpoint makes it again. The times resolved stay: they are small, and a closed one never changes.
   */
  releaseStates(): void {
    this.states.clear();
  }

  /** Totals right after the moment. A moment given as a time stops before the first event recorded after it. */
  async at(moment: Moment): Promise<PastTotals> {
    const recorded = this.fromHistory(moment);
    if (recorded !== undefined) return recorded;
    const key = 'position' in moment ? formatPosition(moment.position) : await this.resolvedKeyOf(moment.time);
    const cached = key === undefined ? undefined : this.states.get(key);
    if (cached !== undefined) return cached;
    const flightKey = key ?? `time:${'time' in moment ? moment.time : ''}`;
    const inFlight = this.building.get(flightKey);
    if (inFlight !== undefined) return inFlight;
    const build = this.rebuild(moment).finally(() => this.building.delete(flightKey));
    this.building.set(flightKey, build);
    return build;
  }

  /** Where a time was resolved before; forgotten when it was open and the log has grown since. */
  private async resolvedKeyOf(time: string): Promise<string | undefined> {
    const resolved = this.positionsByTime.get(time);
    if (resolved === undefined || !resolved.open) return resolved?.key;
    return keyOf(await this.store.headPosition()) === resolved.key ? resolved.key : undefined;
  }

  private async rebuild(moment: Moment): Promise<PastTotals> {
    const limit = 'time' in moment ? Date.parse(moment.time) : undefined;
    const checkpoints = this.checkpointing?.checkpoints;
    const start = await checkpoints?.latestBefore(
      this.store,
      limit === undefined ? { position: (moment as { position: Position }).position } : { time: limit },
    );
    const folding = new FoldedStates([totalsProjection] as Projection<unknown>[], start && new Map([[totalsProjection.name, start.state]]));
    const state = (): TotalsState => folding.stateOf(totalsProjection) as TotalsState;
    let latestRecordedAt = start?.latestRecordedAt ?? '';
    const every = this.checkpointing?.everyEvents ?? 0;
    const folded = await foldEvents(this.store.readAll(start === undefined ? {} : { after: start.position }), folding, {
      until: 'position' in moment ? moment.position : undefined,
      stopBefore: limit === undefined ? undefined : (event) => Date.parse(String(recordedAtOf(event))) > limit,
      onFolded: (event, count) => {
        const recordedAt = String(recordedAtOf(event));
        if (recordedAt > latestRecordedAt) latestRecordedAt = recordedAt;
        if (checkpoints !== undefined && count % every === 0) checkpoints.save(event, latestRecordedAt, state());
      },
      // A long rebuild runs in slices, letting other requests through instead of holding the event loop for seconds.
      slice: new TimeSlice(),
    });
    const position = folded.lastPosition ?? start?.position;
    return this.keep(moment, { position, state: state(), bytes: await runInSlices(retainedBytesSteps(state())) }, !folded.stopped);
  }

  /**
   * A past state from the history: its nearest base and the changes after it, a few milliseconds. Made for each
   * caller and not cached (a cache would keep arrays the pool can reuse, for answers that are cached by URL anyway):
   * the caller releases it.
   */
  private fromHistory(moment: Moment): PastTotals | undefined {
    const live = this.history?.live();
    if (this.history === undefined || live === undefined || !this.history.history.available) return undefined;
    const { history } = this.history;
    try {
      const at = history.resolve(moment);
      const state = history.stateAt(at.count, live, this.history.scratch);
      return { position: at.position, state, release: state.release };
    } catch (error) {
      if (!(error instanceof HistoryDamagedError)) throw error;
      history.damaged(error);
      return undefined;
    }
  }

  /**
   * A past state from the history was found damaged while it was read (its slots and conversions are read when a query
   * first asks for them): the history stops answering, and at() rebuilds instead. True when `error` was that.
   */
  historyDamaged(error: unknown): boolean {
    if (!(error instanceof HistoryDamagedError)) return false;
    this.history?.history.damaged(error);
    return true;
  }

  private keep(moment: Moment, past: PastTotals & { readonly bytes: number }, open: boolean): PastTotals {
    const key = keyOf(past.position);
    if ('time' in moment) this.positionsByTime.set(moment.time, { key, open });
    else this.states.set(formatPosition(moment.position), past);
    this.states.set(key, past);
    return past;
  }
}
