// Cached totals answers: the same status, headers (names, values and order) and bytes as the answer computed for the
// first request of a URL, for GET, HEAD and 304, over a real socket; and a write still makes them stale.
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { announce, type TestLedger } from '../support/ledger.js';
import { aListeningLedgerWithTheThirtyMillion, theThreeMillion } from '../support/scenarios.js';

/** Headers that differ from one answer to the next whatever the ledger does. */
const PER_REQUEST = new Set(['date']);

interface RawAnswer {
  readonly status: number;
  /** [name, value] as sent, in order, names lower-cased, without the per-request ones. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

function rawAnswer(ledger: TestLedger, method: string, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      `${ledger.baseUrl}${path}`,
      { method, headers: { authorization: `Bearer ${ledger.adminKey}`, ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const pairs: [string, string][] = [];
          for (let i = 0; i < response.rawHeaders.length; i += 2) {
            const name = (response.rawHeaders[i] as string).toLowerCase();
            if (!PER_REQUEST.has(name)) pairs.push([name, response.rawHeaders[i + 1] as string]);
          }
          resolve({ status: response.statusCode ?? 0, headers: pairs, body: Buffer.concat(chunks) });
        });
        response.on('error', reject);
      },
    );
    sent.on('error', reject);
    sent.end();
  });
}

const URLS = ['/totals?groupBy=programme', '/programmes/oic-supply-chains/totals?groupBy=country', '/countries/unallocated/totals'];

describe('cached totals answers', () => {
  it.each(URLS)('GET %s: the cached answer carries exactly the headers and bytes of the first', async (url) => {
    const { ledger } = await aListeningLedgerWithTheThirtyMillion();

    const first = await rawAnswer(ledger, 'GET', url);
    const cached = await rawAnswer(ledger, 'GET', url);
    const again = await rawAnswer(ledger, 'GET', url);

    expect(first.status).toBe(200);
    expect(first.headers.map(([name]) => name)).toEqual(
      expect.arrayContaining(['x-ledger-position', 'etag', 'cache-control', 'content-type', 'content-length', 'x-frame-options']),
    );
    expect(cached).toEqual(first);
    expect(again).toEqual(first);
  });

  it('HEAD: the cached answer has the headers of the first, and no body', async () => {
    const { ledger } = await aListeningLedgerWithTheThirtyMillion();
    const url = '/totals?groupBy=country';

    const first = await rawAnswer(ledger, 'HEAD', url);
    const cached = await rawAnswer(ledger, 'HEAD', url);
    const get = await rawAnswer(ledger, 'GET', url);

    expect(first.status).toBe(200);
    expect(first.body.length).toBe(0);
    expect(cached).toEqual(first);
    expect(first.headers).toEqual(get.headers);
  });

  it('304 from the cache: the headers of a 304 for a URL never asked, for a strong, weak, listed or "*" tag', async () => {
    const { ledger, created } = await aListeningLedgerWithTheThirtyMillion();
    const etag = `"${created.position}"`;

    const neverAsked = await rawAnswer(ledger, 'GET', '/totals?groupBy=year', { 'if-none-match': etag });
    await rawAnswer(ledger, 'GET', '/totals?groupBy=programme');
    const fromCache = await Promise.all(
      [etag, `W/${etag}`, `"1", ${etag}`, '*'].map((tag) =>
        rawAnswer(ledger, 'GET', '/totals?groupBy=programme', { 'if-none-match': tag }),
      ),
    );

    expect(neverAsked.status).toBe(304);
    expect(neverAsked.body.length).toBe(0);
    expect(neverAsked.headers.map(([name]) => name)).not.toContain('content-length');
    for (const answer of fromCache) expect(answer).toEqual(neverAsked);
  });

  it('a cached answer is stale after a write: the new position, and 200 for the old tag', async () => {
    const { ledger, created } = await aListeningLedgerWithTheThirtyMillion();
    const url = '/totals?groupBy=programme';
    const before = await rawAnswer(ledger, 'GET', url);
    await rawAnswer(ledger, 'GET', url);

    const three = await announce(ledger, theThreeMillion());
    const after = await rawAnswer(ledger, 'GET', url, { 'if-none-match': `"${created.position}"` });
    const cachedAfter = await rawAnswer(ledger, 'GET', url);

    expect(after.status).toBe(200);
    expect(new Map(after.headers).get('etag')).toBe(`"${three.position}"`);
    expect(after.body).not.toEqual(before.body);
    expect(cachedAfter).toEqual(after);
  });
});
