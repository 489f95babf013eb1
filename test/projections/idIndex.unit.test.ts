// The packed id index: every id finds its slot and reads back exactly, through growth, odd ids and a restore.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IdIndex } from '../../src/projections/models/idIndex.js';

/** Time-ordered ids, as UUID v7 makes them: the leading words barely change from one to the next. */
function timeOrdered(count: number): string[] {
  return Array.from({ length: count }, (_, n) => {
    const time = (0x0192_0000_0000 + n).toString(16).padStart(12, '0');
    return `${time.slice(0, 8)}-${time.slice(8)}-7000-8000-${n.toString(16).padStart(12, '0')}`;
  });
}

describe('IdIndex', () => {
  it('gives slots in the order ids are added, finds each, and reads each back as it was given', () => {
    const ids = [...Array.from({ length: 5000 }, () => randomUUID()), ...timeOrdered(5000)];
    const index = new IdIndex();

    const slots = ids.map((id) => index.add(id));

    expect(slots).toEqual(ids.map((_, n) => n));
    expect(ids.map((id) => index.slotOf(id))).toEqual(slots);
    expect([...index.ids()]).toEqual(ids);
    expect(index.slotOf(randomUUID())).toBeUndefined();
  });

  it('keeps ids that are not lowercase UUIDs exactly as given, apart from the UUID they resemble', () => {
    const lower = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const index = new IdIndex();
    index.add(lower);
    index.add(lower.toUpperCase());
    index.add('not-a-uuid');

    expect(index.slotOf(lower)).toBe(0);
    expect(index.slotOf(lower.toUpperCase())).toBe(1);
    expect(index.slotOf('not-a-uuid')).toBe(2);
    expect([...index.ids()]).toEqual([lower, lower.toUpperCase(), 'not-a-uuid']);
  });

  it('restores from what it stores: same slots, and new ids go on after the old', () => {
    const ids = [...timeOrdered(3000), 'legacy-id'];
    const index = new IdIndex();
    for (const id of ids) index.add(id);

    const restored = new IdIndex(structuredClone(index.toStored()));
    const next = randomUUID();

    expect([...restored.ids()]).toEqual(ids);
    expect(ids.map((id) => restored.slotOf(id))).toEqual(ids.map((_, n) => n));
    expect(restored.add(next)).toBe(ids.length);
    expect(restored.slotOf(next)).toBe(ids.length);
    expect(index.slotOf(next)).toBeUndefined();
  });
});
