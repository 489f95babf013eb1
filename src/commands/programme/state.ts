// Programme state: folded from its events.
import { assertNever } from '../decider.js';
import type { ProgrammeEvent } from './events.js';

export interface Programme {
  readonly code: string;
  readonly name: string;
  readonly description: string;
  readonly registeredAt: string;
}

export type ProgrammeState = { readonly status: 'unregistered' } | { readonly status: 'registered'; readonly programme: Programme };

export function initialProgrammeState(): ProgrammeState {
  return { status: 'unregistered' };
}

export function evolveProgramme(state: ProgrammeState, event: ProgrammeEvent): ProgrammeState {
  switch (event.type) {
    case 'ProgrammeRegistered':
      return { status: 'registered', programme: { ...event.data } };
    case 'ProgrammeRenamed':
      if (state.status !== 'registered') return state;
      return { status: 'registered', programme: { ...state.programme, name: event.data.name, description: event.data.description } };
    default:
      return assertNever(event);
  }
}
