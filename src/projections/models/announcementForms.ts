// The announcements index as a snapshot keeps it and as the digest reads it.
import type { AnnouncementsState } from './announcements.js';
import { Dictionary, float64Column, uint32Column, uint8Column } from './columns.js';
import { IdIndex, type StoredIdIndex } from './idIndex.js';
import type { SnapshotForm } from '../runtime/projection.js';

/** The announcements index as saved: columns as typed arrays (copied as memory), dictionaries as their values. */
export interface StoredAnnouncements {
  readonly ids: StoredIdIndex;
  readonly columns: Record<'revisions' | 'programmes' | 'funders' | 'days' | 'places', Uint32Array> & {
    statuses: Uint8Array;
    currencies: Uint8Array;
    amounts: Float64Array;
  };
  readonly dictionaries: Record<'programmes' | 'funders' | 'places', string[]>;
}

export const storedAnnouncements: SnapshotForm<AnnouncementsState, StoredAnnouncements> = {
  store(state) {
    const { dictionaries } = state;
    return {
      ids: state.ids.toStored(),
      columns: {
        revisions: state.revisions.toArray(),
        statuses: state.statuses.toArray(),
        programmes: state.programmes.toArray(),
        funders: state.funders.toArray(),
        days: state.days.toArray(),
        places: state.places.toArray(),
        amounts: state.amounts.toArray(),
        currencies: state.currencies.toArray(),
      },
      dictionaries: {
        programmes: dictionaries.programmes.values,
        funders: dictionaries.funders.values,
        places: dictionaries.places.values,
      },
    };
  },
  restore(stored) {
    const { columns, dictionaries } = stored;
    return {
      ids: new IdIndex(stored.ids),
      revisions: uint32Column(columns.revisions),
      statuses: uint8Column(columns.statuses),
      programmes: uint32Column(columns.programmes),
      funders: uint32Column(columns.funders),
      days: uint32Column(columns.days),
      places: uint32Column(columns.places),
      amounts: float64Column(columns.amounts),
      currencies: uint8Column(columns.currencies),
      dictionaries: {
        programmes: new Dictionary(dictionaries.programmes),
        funders: new Dictionary(dictionaries.funders),
        places: new Dictionary(dictionaries.places),
      },
    };
  },
};

/** Slots described per column chunk: a million slots without a million strings. */
const CHUNK_SLOTS = 8192;
const PER_SLOT = 13;
const TWO_TO_32 = 2 ** 32;

/**
 * The order of first recording is meaningful: list cursors point into it. Strings go by their rank among the
 * dictionary's values (which are digested too), so the digest does not depend on the order codes were given.
 */
export function* describeAnnouncements(state: AnnouncementsState): Generator<unknown> {
  const { dictionaries } = state;
  const programmes = ranksOf(dictionaries.programmes.values);
  const funders = ranksOf(dictionaries.funders.values);
  const places = ranksOf(dictionaries.places.values);
  yield [[...dictionaries.programmes.values].sort(), [...dictionaries.funders.values].sort(), [...dictionaries.places.values].sort()];
  yield [...state.ids.others];
  for (let from = 0; from < state.ids.length; from += CHUNK_SLOTS) {
    const to = Math.min(from + CHUNK_SLOTS, state.ids.length);
    const chunk = new Uint32Array((to - from) * PER_SLOT);
    for (let slot = from; slot < to; slot += 1) {
      const at = (slot - from) * PER_SLOT;
      state.ids.copyWords(slot, chunk, at);
      chunk[at + 4] = state.revisions.get(slot);
      chunk[at + 5] = state.statuses.get(slot);
      chunk[at + 6] = programmes[state.programmes.get(slot)] as number;
      chunk[at + 7] = funders[state.funders.get(slot)] as number;
      chunk[at + 8] = state.days.get(slot);
      chunk[at + 9] = places[state.places.get(slot)] as number;
      // The amount (a safe integer of minor units) as two words, and its currency's index.
      const amount = state.amounts.get(slot);
      chunk[at + 10] = amount % TWO_TO_32;
      chunk[at + 11] = Math.floor(amount / TWO_TO_32);
      chunk[at + 12] = state.currencies.get(slot);
    }
    yield chunk;
  }
}

/** For each code, the rank of its value among the dictionary's values sorted. */
function ranksOf(values: readonly string[]): number[] {
  const ranks: number[] = [];
  [...values.keys()].sort((a, b) => ((values[a] as string) < (values[b] as string) ? -1 : 1)).forEach((code, rank) => (ranks[code] = rank));
  return ranks;
}
