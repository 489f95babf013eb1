import { describe, expect, it } from 'vitest';
import { programmeDecider, type ProgrammeCommand } from '../../src/commands/programme/decide.js';
import type { ProgrammeEvent } from '../../src/commands/programme/events.js';
import { ConflictError, NotFoundError, RuleViolationError } from '../../src/domain/errors.js';
import { deciderSpec } from '../support/decider.js';

const spec = deciderSpec(programmeDecider);
const register: ProgrammeCommand = {
  type: 'RegisterProgramme',
  data: { code: 'oic-supply-chains', name: 'Supply chains', description: 'Funding to tackle supply chains' },
  metadata: { now: '2025-04-02T09:00:00.000Z' },
};
const registered: ProgrammeEvent = {
  type: 'ProgrammeRegistered',
  data: {
    code: 'oic-supply-chains',
    name: 'Supply chains',
    description: 'Funding to tackle supply chains',
    registeredAt: '2025-04-02T09:00:00.000Z',
  },
};

describe('programmes', () => {
  it('registers a code once', () => {
    spec([]).when(register).then([registered]);
    spec([registered]).when(register).thenThrows(ConflictError);
  });

  it('renames, keeping the description unless a new one is given', () => {
    spec([registered])
      .when({ type: 'RenameProgramme', data: { code: 'oic-supply-chains', name: 'OIC supply chains', reason: 'official name' } })
      .thenState((state) => {
        expect(state.status === 'registered' && state.programme.name).toBe('OIC supply chains');
        expect(state.status === 'registered' && state.programme.description).toBe('Funding to tackle supply chains');
      });
  });

  it('refuses to rename what is not registered, or to the same name', () => {
    spec([])
      .when({ type: 'RenameProgramme', data: { code: 'x1', name: 'n', reason: 'why' } })
      .thenThrows(NotFoundError);
    spec([registered])
      .when({ type: 'RenameProgramme', data: { code: 'oic-supply-chains', name: 'Supply chains', reason: 'why' } })
      .thenThrows(RuleViolationError);
  });
});
