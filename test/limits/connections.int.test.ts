// Connections a client cannot hold: stalled and dripped bodies get 408, answers before the body close the connection,
// and connections beyond MAX_CONNECTIONS are dropped while the others keep working.
import { describe, expect, it } from 'vitest';
import { startTestLedger, type TestLedger } from '../support/ledger.js';
import { aProgramme } from '../support/scenarios.js';
import { RawConnection, requestHead, type RawResponse } from './raw.js';

/** Generous bounds: what is asserted is that the connection ends, not how fast. */
const CLOSES_WITHIN_MS = 3_000;

function postHead(ledger: TestLedger, headers: Record<string, string | number>): string {
  return requestHead('POST', '/programmes', { authorization: `Bearer ${ledger.adminKey}`, 'content-type': 'application/json', ...headers });
}

function expectProblem(response: RawResponse, status: number): void {
  expect(response.status, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.json.status).toBe(status);
}

describe('a request body that stalls', () => {
  it('is answered 408 as a problem when it stops, and the connection is closed', async () => {
    const ledger = await startTestLedger({ env: { BODY_IDLE_TIMEOUT_MS: '1000' } });
    const connection = await RawConnection.open(ledger.baseUrl);

    connection.write(`${postHead(ledger, { 'content-length': 200 })}{"code":"stalled`);

    const response = await connection.response();
    expectProblem(response, 408);
    expect(response.json.type).toBe('urn:funding-ledger:problem:request-timeout');
    expect(response.headers.connection).toBe('close');
    expect(await connection.closesWithin(CLOSES_WITHIN_MS)).toBe(true);
    expect(await ledger.storeHead()).toBe('0');
  });

  it('is answered 408 when it only trickles in, a byte at a time, and the connection is closed', async () => {
    const ledger = await startTestLedger({ env: { BODY_IDLE_TIMEOUT_MS: '1000' } });
    const connection = await RawConnection.open(ledger.baseUrl);

    connection.write(postHead(ledger, { 'content-length': 60_000 }));
    connection.dripBody(50);

    const response = await connection.response();
    expectProblem(response, 408);
    expect(response.headers.connection).toBe('close');
    expect(await connection.closesWithin(CLOSES_WITHIN_MS)).toBe(true);
  });

  it('is not cut while it keeps coming, and an idle keep-alive connection outlives the body timeout', async () => {
    const ledger = await startTestLedger({ env: { BODY_IDLE_TIMEOUT_MS: '1000' } });
    const connection = await RawConnection.open(ledger.baseUrl);
    const body = JSON.stringify(aProgramme({ description: 'd'.repeat(3_000) }));

    connection.write(postHead(ledger, { 'content-length': Buffer.byteLength(body) }));
    for (let at = 0; at < body.length; at += 1_200) {
      connection.write(body.slice(at, at + 1_200));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((await connection.response()).status).toBe(201);
    // Two body timeouts and more of silence on a kept-alive connection: it is still there and answers.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    connection.write(requestHead('GET', '/health/live'));

    expect((await connection.response()).status).toBe(200);
    expect(connection.open).toBe(true);
  });

  it('never cuts a long answer: the totals stream outlives the body timeout', async () => {
    const ledger = await startTestLedger({ env: { BODY_IDLE_TIMEOUT_MS: '1000' } });
    const connection = await RawConnection.open(ledger.baseUrl);

    connection.write(requestHead('GET', '/totals/stream', { authorization: `Bearer ${ledger.adminKey}` }));
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    expect(connection.unread).toMatch(/^HTTP\/1\.1 200 /);
    expect(connection.open).toBe(true);
  });
});

describe('a request refused before its body is read', () => {
  it.each([
    ['401 without a key', 401, { authorization: '', 'content-length': 60_000 }],
    ['401 with a wrong key', 401, { authorization: 'Bearer flk_notAKeyThisLedgerGaveOut', 'content-length': 60_000 }],
    ['413 for a declared body over the limit', 413, { 'content-length': 70_000 }],
    ['415 for a body that is not JSON', 415, { 'content-type': 'text/csv', 'content-length': 60_000 }],
  ])('closes the connection after its %s, though the client keeps dripping', async (_what, status, headers) => {
    // The body timeout is far away: what closes the connection is the refusal.
    const ledger = await startTestLedger({ env: { BODY_IDLE_TIMEOUT_MS: '60000' } });
    const connection = await RawConnection.open(ledger.baseUrl);
    const head = postHead(ledger, headers).replace(/\r\nauthorization: \r\n/, '\r\n');

    connection.write(`${head}{`);
    connection.dripBody(200);

    const response = await connection.response();
    expectProblem(response, status);
    expect(response.headers.connection).toBe('close');
    expect(await connection.closesWithin(CLOSES_WITHIN_MS)).toBe(true);
  });

  it('keeps the connection of a request whose body was read, even when refused', async () => {
    const ledger = await startTestLedger();
    const connection = await RawConnection.open(ledger.baseUrl);
    const body = '{"code":"no"}';

    connection.write(`${postHead(ledger, { 'content-length': body.length })}${body}`);
    const refused = await connection.response();
    expectProblem(refused, 400);
    expect(refused.headers.connection).toBe('keep-alive');
    connection.write(requestHead('GET', '/health/live'));

    expect((await connection.response()).status).toBe(200);
  });
});

describe('the connection cap', () => {
  it('drops the connection beyond MAX_CONNECTIONS, while the first ones keep working', async () => {
    const ledger = await startTestLedger({ env: { MAX_CONNECTIONS: '5' } });
    const first = await Promise.all(Array.from({ length: 5 }, () => RawConnection.open(ledger.baseUrl)));
    for (const connection of first) connection.write(requestHead('GET', '/health/live'));
    for (const connection of first) expect((await connection.response()).status).toBe(200);

    const sixth = await RawConnection.open(ledger.baseUrl);
    sixth.write(requestHead('GET', '/health/live'));

    expect(await sixth.closesWithin(CLOSES_WITHIN_MS)).toBe(true);
    expect(sixth.unread).toBe('');
    for (const connection of first) connection.write(requestHead('GET', '/health/live'));
    for (const connection of first) expect((await connection.response()).status).toBe(200);
  });
});
