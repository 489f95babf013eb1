// The write rate limit counts per API key id (or address), so no spelling of the Authorization header dodges it.
import { describe, expect, it } from 'vitest';
import { expectProblem, request, startTestLedger, type Reply } from '../support/ledger.js';
import { aProgramme } from '../support/scenarios.js';

function expectRateLimited(reply: Reply): void {
  expectProblem(reply, 429, { type: 'rate-limited', retryAfter: true });
}

describe('the write rate limit', () => {
  it('is one budget per key, whatever the spelling of the header; another key has its own; a wrong key is a 401', async () => {
    const ledger = await startTestLedger({ env: { RATE_LIMIT_WRITES_PER_MINUTE: '3' } });
    const writer = ledger.createKey('writer', ['write']);
    const other = ledger.createKey('other', ['write']);
    const post = (authorization: string, code: string): Promise<Reply> =>
      request(ledger.baseUrl, 'POST', '/programmes', { headers: { authorization }, body: aProgramme({ code }) });

    for (const n of [1, 2, 3]) expect((await post(`Bearer ${writer}`, `budget-${n}`)).status).toBe(201);
    const spellings = [
      `Bearer ${writer}`,
      `bearer ${writer}`,
      `BEARER ${writer}`,
      `bEaReR ${writer}`,
      `Bearer  ${writer}`,
      `Bearer\t${writer}`,
      `Bearer \t ${writer}`,
      `bearer   ${writer}\t`,
    ];
    const dodges = [];
    for (const [n, spelling] of spellings.entries()) dodges.push(await post(spelling, `dodge-${n}`));

    for (const reply of dodges) expectRateLimited(reply);
    expect((await post(`Bearer ${other}`, 'other-key')).status).toBe(201);
    const wrong = await post(`Bearer ${writer.slice(0, -1)}${writer.endsWith('A') ? 'B' : 'A'}`, 'wrong-key');
    expect(wrong.status, wrong.text).toBe(401);
    expect((await post('', 'no-key')).status).toBe(401);
    // Only the three within the budget and the other key's write were recorded.
    expect(await ledger.eventsIn('programme-')).toHaveLength(4);
  });
});
