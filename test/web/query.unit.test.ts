// The dashboard's view in its address: the basis toggle travels with the filters, and a malformed value is dropped.
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
});
