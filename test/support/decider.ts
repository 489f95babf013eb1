// Given / when / then over a decider: given past events, when a command, then new events or an error.
import { expect } from 'vitest';
import type { Decider, DomainEvent } from '../../src/commands/decider.js';
import { LedgerError } from '../../src/domain/errors.js';

export function deciderSpec<State, Command, Event extends DomainEvent>(decider: Decider<State, Command, Event>) {
  return (given: readonly Event[]) => ({
    when: (command: Command) => {
      const run = () => decider.decide(given.reduce(decider.evolve, decider.initialState()), command);
      return {
        then: (expected: readonly Event[]) => expect(run()).toEqual(expected),
        thenThrows: (errorClass: abstract new (...args: never[]) => Error, message?: RegExp) => {
          expect(run).toThrow(errorClass);
          if (message) expect(run).toThrow(message);
        },
        /** The error names these fields in its field errors (LedgerError.errors). */
        thenRefusesFields: (fields: readonly string[]) => {
          let caught: unknown;
          try {
            run();
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(LedgerError);
          expect((caught as LedgerError).errors.map((e) => e.field)).toEqual(fields);
        },
        thenState: (assert: (state: State) => void) => assert([...given, ...run()].reduce(decider.evolve, decider.initialState())),
      };
    },
  });
}
