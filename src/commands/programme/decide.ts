// Programme decisions: register a code once; rename it.
import { ConflictError, NotFoundError, RuleViolationError } from '../../domain/errors.js';
import { assertNever, type Decider } from '../decider.js';
import { PROGRAMME_EVENT_TYPES, type ProgrammeEvent } from './events.js';
import { evolveProgramme, initialProgrammeState, type ProgrammeState } from './state.js';

export type RegisterProgramme = {
  readonly type: 'RegisterProgramme';
  readonly data: { code: string; name: string; description: string };
  readonly metadata: { now: string };
};

export type RenameProgramme = {
  readonly type: 'RenameProgramme';
  readonly data: { code: string; name: string; description?: string | undefined; reason: string };
};

export type ProgrammeCommand = RegisterProgramme | RenameProgramme;

export function decideProgramme(state: ProgrammeState, command: ProgrammeCommand): ProgrammeEvent[] {
  switch (command.type) {
    case 'RegisterProgramme':
      if (state.status === 'registered') {
        throw new ConflictError(`programme ${command.data.code} is already registered`, [
          { field: 'code', message: 'a programme code can be registered once' },
        ]);
      }
      return [{ type: 'ProgrammeRegistered', data: { ...command.data, registeredAt: command.metadata.now } }];
    case 'RenameProgramme': {
      if (state.status !== 'registered') throw new NotFoundError(`programme ${command.data.code} is not registered`);
      const description = command.data.description ?? state.programme.description;
      if (command.data.name === state.programme.name && description === state.programme.description) {
        throw new RuleViolationError('the programme already has this name and description', [
          { field: 'name', message: 'nothing would change' },
        ]);
      }
      return [
        {
          type: 'ProgrammeRenamed',
          data: { code: command.data.code, name: command.data.name, description, reason: command.data.reason },
        },
      ];
    }
    default:
      return assertNever(command);
  }
}

export const programmeDecider: Decider<ProgrammeState, ProgrammeCommand, ProgrammeEvent> = {
  initialState: initialProgrammeState,
  evolve: evolveProgramme,
  decide: decideProgramme,
  eventTypes: PROGRAMME_EVENT_TYPES,
};
