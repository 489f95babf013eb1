// Moments as the page names them: the positions and instants /totals?asOf= takes, where a position sits on the slider, and the journal cursor before it.
import { describe, expect, it } from 'vitest';
import { momentOf, positionBefore, sliderValueOf } from '../../web/src/moment.js';

describe('moments', () => {
  it('reads a position or an instant with an offset, and drops anything else', () => {
    expect(momentOf('42')).toBe('42');
    expect(momentOf('1042-1040')).toBe('1042-1040');
    expect(momentOf('2025-04-02T09:00:00Z')).toBe('2025-04-02T09:00:00Z');
    expect(momentOf('2025-04-02T09:00:00.5+01:00')).toBe('2025-04-02T09:00:00.5+01:00');
    for (const text of [null, '', '042', '-1', '4.2', 'latest', '2025-04-02', '2025-04-02T09:00:00', '2025-13-45T99:00:00Z', '42 ']) {
      expect(momentOf(text), String(text)).toBeUndefined();
    }
  });

  it('stands a position on the slider by its commit part', () => {
    expect(sliderValueOf('42')).toBe(42);
    expect(sliderValueOf('1042-1040')).toBe(1042);
  });

  it('names the position just before, so the journal lists this one first', () => {
    expect(positionBefore('42')).toBe('41');
    expect(positionBefore('1')).toBe('0');
    expect(positionBefore('1042-1040')).toBe('1042-1039');
    expect(positionBefore('0')).toBeUndefined();
    expect(positionBefore('nonsense')).toBeUndefined();
  });
});
