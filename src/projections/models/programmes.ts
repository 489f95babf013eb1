// Read model: every registered programme, by code.
import { toDomainEvent } from '../../commands/decider.js';
import { PROGRAMME_EVENT_TYPES, type ProgrammeEvent } from '../../commands/programme/events.js';
import { evolveProgramme, initialProgrammeState, type Programme } from '../../commands/programme/state.js';
import type { Projection } from '../runtime/projection.js';
import { entriesByKey, keptAsItIs } from './mapState.js';

export interface ProgrammeView extends Programme {
  readonly revision: bigint;
}

export type ProgrammesState = Map<string, ProgrammeView>;

export const programmesProjection: Projection<ProgrammesState> = {
  name: 'programmes',
  canHandle: (event) => event.stream.startsWith('programme-'),
  initialState: () => new Map(),
  snapshot: keptAsItIs<ProgrammesState>(),
  describe: entriesByKey,
  evolve(state, event) {
    const domainEvent = toDomainEvent<ProgrammeEvent>({ eventTypes: PROGRAMME_EVENT_TYPES }, event);
    const code = domainEvent.data.code;
    const before = state.get(code);
    const next = evolveProgramme(before ? { status: 'registered', programme: before } : initialProgrammeState(), domainEvent);
    if (next.status === 'registered') state.set(code, { ...next.programme, revision: event.revision });
    return state;
  },
};

export function listProgrammes(state: ProgrammesState): ProgrammeView[] {
  return [...state.values()].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
