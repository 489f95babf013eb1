// An open /totals/stream ends once its key is revoked; streams of other keys, and the revoked key's refusal, as expected.
import { describe, expect, it } from 'vitest';
import { request, startTestLedger, type TestLedger } from '../support/ledger.js';

/** Generous: the promise is a second after the key file changes; what is asserted is that the stream ends. */
const ENDS_WITHIN_MS = 5_000;

interface OpenStream {
  /** Settles true when the server ends the response, false when `withinMs` pass first. */
  endsWithin(withinMs: number): Promise<boolean>;
  close(): void;
}

async function openStream(ledger: TestLedger, key: string): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(`${ledger.baseUrl}/totals/stream`, {
    headers: { authorization: `Bearer ${key}` },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  const ended = (async () => {
    try {
      for await (const _chunk of response.body ?? []) {
        // read and drop: only the end matters
      }
      return true;
    } catch (_aborted) {
      return false;
    }
  })();
  return {
    async endsWithin(withinMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), withinMs)));
      const outcome = await Promise.race([ended, timedOut]);
      clearTimeout(timer);
      return outcome;
    },
    close: () => controller.abort(),
  };
}

describe('GET /totals/stream and key revocation', () => {
  it("ends the revoked key's open streams, and only those", async () => {
    const ledger = await startTestLedger();
    const dashboard = ledger.createKey('dashboard', ['read']);
    const other = ledger.createKey('other-dashboard', ['read']);
    const revoked = [await openStream(ledger, dashboard), await openStream(ledger, dashboard)];
    const kept = await openStream(ledger, other);

    ledger.revokeKey('dashboard');

    for (const stream of revoked) expect(await stream.endsWithin(ENDS_WITHIN_MS)).toBe(true);
    expect(await kept.endsWithin(1_500)).toBe(false);
    expect((await request(ledger.baseUrl, 'GET', '/totals/stream', { key: dashboard })).status).toBe(401);
    kept.close();
  });
});
