// The idempotency read model: writes scoped by key id, and writes stored before key ids read through the upcaster.
import { describe, expect, it } from 'vitest';
import { idempotencyProjection, priorWrite, type IdempotencyState } from '../../src/projections/models/idempotency.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { positionOf } from '../../src/store/position.js';

let position = 0n;

/** An event as the store gives it back, with the metadata a write recorded. */
function written(stream: string, metadata: Record<string, unknown>): RecordedEvent {
  position += 1n;
  return { id: `event-${position}`, stream, revision: 0n, position: positionOf(position), type: 'ProgrammeRegistered', data: {}, metadata };
}

function fold(events: readonly RecordedEvent[]): IdempotencyState {
  return events
    .filter((event) => idempotencyProjection.canHandle(event))
    .reduce((state, event) => idempotencyProjection.evolve(state, event), idempotencyProjection.initialState());
}

const recordedAt = '2026-03-01T09:00:00.000Z';
const before = '2026-02-01T00:00:00.000Z';
const after = '2026-04-01T00:00:00.000Z';

describe('the idempotency read model', () => {
  it('gives a write with a key id to that key only, not to another key of the same name', () => {
    const state = fold([
      written('programme-a', { actor: 'newsroom', keyId: 'aaaaaaaaaaaaaaaa', idempotencyKey: 'X', requestHash: 'h1', recordedAt }),
    ]);

    expect(priorWrite(state, { id: 'aaaaaaaaaaaaaaaa', name: 'newsroom', createdAt: before }, 'X')).toMatchObject({
      stream: 'programme-a',
      requestHash: 'h1',
    });
    expect(priorWrite(state, { id: 'bbbbbbbbbbbbbbbb', name: 'newsroom', createdAt: before }, 'X')).toBeUndefined();
    expect(priorWrite(state, { id: 'aaaaaaaaaaaaaaaa', name: 'newsroom', createdAt: before }, 'Y')).toBeUndefined();
  });

  it('keeps a write stored without a key id in its name scope, for the key of that name that existed when it was written', () => {
    // As every write was recorded before events carried the key id: the actor's name, no keyId.
    const state = fold([written('programme-old', { actor: 'newsroom', idempotencyKey: 'X', requestHash: 'h0', recordedAt })]);

    expect(priorWrite(state, { id: 'aaaaaaaaaaaaaaaa', name: 'newsroom', createdAt: before }, 'X')).toMatchObject({
      stream: 'programme-old',
      requestHash: 'h0',
    });
    expect(priorWrite(state, { id: 'bbbbbbbbbbbbbbbb', name: 'newsroom', createdAt: after }, 'X')).toBeUndefined();
    expect(priorWrite(state, { id: 'cccccccccccccccc', name: 'desk', createdAt: before }, 'X')).toBeUndefined();
  });

  it('never lets a key named like a key id meet that id', () => {
    const state = fold([
      written('programme-a', { actor: 'newsroom', keyId: 'aaaaaaaaaaaaaaaa', idempotencyKey: 'X', requestHash: 'h1', recordedAt }),
    ]);

    expect(priorWrite(state, { id: 'dddddddddddddddd', name: 'aaaaaaaaaaaaaaaa', createdAt: before }, 'X')).toBeUndefined();
  });
});
