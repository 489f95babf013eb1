// The dashboard's view in its address: the basis toggle and the time slider's moment travel with the filters, and a malformed value is dropped.
import { describe, expect, it } from 'vitest';
import { searchOf, totalsParams, viewStateOf } from '../../web/src/query.js';

describe('the view in the address', () => {
  it('reads basis=new, keeps it in the page address and sends it to /totals', () => {
    const state = viewStateOf('?basis=new&currency=EUR&programme=oic-supply-chains');

    expect(state.basis).toBe('new');
    expect(searchOf(state)).toBe('?programme=oic-supply-chains&currency=EUR&basis=new');
    expect(totalsParams(state, 'programme,stage').toString()).toBe(
      'groupBy=programme%2Cstage&currency=EUR&basis=new&programme=oic-supply-chains',
    );
  });

  it('counts all announced money unless asked, and never sends the default or a malformed basis on', () => {
    for (const search of ['', '?basis=announced', '?basis=NEW', '?basis=new%20']) {
      const state = viewStateOf(search);
      expect(state.basis).toBe('announced');
      expect(totalsParams(state, 'programme').has('basis')).toBe(false);
      expect(searchOf(state)).not.toContain('basis');
    }
  });

  it('keeps the moment of a past view in the address, and reads a mangled one as live', () => {
    const state = viewStateOf('?programme=oic-supply-chains&asOf=3');

    expect(state.asOf).toBe('3');
    expect(searchOf(state)).toBe('?programme=oic-supply-chains&asOf=3');
    expect(searchOf({ ...state, asOf: undefined })).toBe('?programme=oic-supply-chains');
    expect(viewStateOf('?asOf=2025-04-02T09:00:00Z').asOf).toBe('2025-04-02T09:00:00Z');
    // The moment is asked for explicitly (at the position the first answer names), never added to every request.
    expect(totalsParams(state, 'programme').has('asOf')).toBe(false);
    for (const search of ['?asOf=', '?asOf=three', '?asOf=-1', '?asOf=2025-04-02']) expect(viewStateOf(search).asOf).toBeUndefined();
  });
});
