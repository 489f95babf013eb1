// The hardening promises checked one by one: body limit, pollution, malformed HTTP, request ids, keys kept out of the logs.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKeys, startChildLedger } from '../support/childLedger.js';
import { clientOf, startTestLedger } from '../support/ledger.js';
import { registerProgrammes, theProgrammes, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';
import { agentOf, answered, send } from './http.js';
import { eventsOfType, journalExport } from './journal.js';

/** Writes bytes on a fresh connection and collects what comes back until the server closes it (or `waitMs` pass). */
function exchange(baseUrl: string, bytes: string, waitMs = 3_000): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(bytes, 'latin1');
  });
}

function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
}

describe('the body limit', () => {
  it('takes a 64 KiB body and refuses 64 KiB + 1 byte with 413, recording neither', async () => {
    const ledger = await startTestLedger();
    const agent = agentOf(2);
    await registerProgrammes(ledger);
    const before = await journalExport(agent, ledger.baseUrl, ledger.adminKey);
    // The title pads the JSON to an exact size; too long a title, so even the accepted size is refused by validation.
    const sized = (bytes: number): string => {
      const base = JSON.stringify(theThreeMillion({ title: '' }));
      return JSON.stringify(theThreeMillion({ title: 't'.repeat(bytes - base.length) }));
    };
    expect(Buffer.byteLength(sized(65_536))).toBe(65_536);

    const headers = { authorization: `Bearer ${ledger.adminKey}`, 'content-type': 'application/json' };
    const atLimit = await send(agent, ledger.baseUrl, { method: 'POST', path: '/announcements', headers, body: sized(65_536) });
    const overLimit = await send(agent, ledger.baseUrl, { method: 'POST', path: '/announcements', headers, body: sized(65_537) });

    expect(atLimit.status).toBe(400);
    expect(answered(atLimit) && atLimit.json.errors).toEqual([{ in: 'body', field: 'title', message: expect.any(String) }]);
    expect(overLimit.status).toBe(413);
    expect(answered(overLimit) && overLimit.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answered(overLimit) && overLimit.json).toMatchObject({ status: 413, title: 'Content too large' });
    expect(await journalExport(agent, ledger.baseUrl, ledger.adminKey)).toBe(before);
    agent.destroy();
  });
});

describe('prototype pollution', () => {
  it.each([
    ['at the top', '{"__proto__":{"polluted":"yes"},"code":"polluted-programme","name":"x"}'],
    ['nested', '{"code":"polluted-programme","name":"x","description":{"__proto__":{"polluted":"yes"}}}'],
    ['through constructor.prototype', '{"code":"polluted-programme","name":"x","constructor":{"prototype":{"polluted":"yes"}}}'],
  ])('refuses JSON with __proto__ %s with 400, and nothing changes', async (_where, json) => {
    const ledger = await startTestLedger();

    const reply = await clientOf(ledger).post('/programmes', json, { headers: { 'content-type': 'application/json' } });

    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await ledger.storeHead()).toBe('0');
  });
});

describe('malformed HTTP', () => {
  it.each([
    ['a NUL in a header', 'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Bad: a\0b\r\n\r\n', 400],
    ['an unknown method', 'BREW /health/live HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['headers over 16 KiB', `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['a URL over 16 KiB', `GET /programmes/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    [
      'Content-Length and Transfer-Encoding together',
      'POST /programmes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
    [
      'a broken chunk size',
      'POST /programmes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      400,
    ],
    [
      'a negative Content-Length',
      'POST /programmes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}',
      400,
    ],
    ['an obsolete folded header', 'GET /health/live HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n', 400],
    ['an unknown HTTP version', 'GET /health/live HTTP/7.3\r\nHost: x\r\n\r\n', 400],
    ['a path that is not percent-encoding', 'GET /programmes/%zz%c0 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a parameter over 100 characters', `GET /programmes/${'a'.repeat(150)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
    [
      'a declared body over the limit',
      'POST /programmes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n{',
      413,
    ],
  ])('answers %s with a 4xx problem and stays up', async (_what, bytes, status) => {
    const ledger = await startTestLedger();

    const response = await exchange(
      ledger.baseUrl,
      bytes.replace('Host: x', `Host: x\r\nConnection: close\r\nAuthorization: Bearer ${ledger.adminKey}`),
    );

    expect(statusOf(response), response.slice(0, 300)).toBe(status);
    expect(response).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    const body = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
    expect(body.status).toBe(status);
    expect(body.detail).not.toContain('aaaaaaaa');
    expect((await clientOf(ledger).get('/health/live')).status).toBe(200);
    expect(await ledger.storeHead()).toBe('0');
  });
});

describe('request ids', () => {
  it('records a plausible X-Request-Id as the causation id, and never a hostile one', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);

    const traced = await api.post('/announcements', theThirtyMillion(), { headers: { 'x-request-id': 'proxy-7f3a' } });
    const hostile = await api.post('/announcements', theThreeMillion(), { headers: { 'x-request-id': `${'x'.repeat(5_000)}` } });
    const spaced = await api.post('/announcements', theThreeMillion({ title: 'Another' }), { headers: { 'x-request-id': 'two words' } });

    expect([traced, hostile, spaced].map((reply) => reply.status)).toEqual([201, 201, 201]);
    const events = await ledger.eventsIn('announcement-');
    expect(events.map((event) => event.metadata.causationId)).toEqual([
      'proxy-7f3a',
      expect.stringMatching(/^[0-9a-f-]{36}$/),
      expect.stringMatching(/^[0-9a-f-]{36}$/),
    ]);
  });
});

describe('API keys in logs', () => {
  it('never appear in any log line, at trace level, whatever a request carries', { timeout: 60_000 }, async () => {
    const server = await startChildLedger({ env: { LOG_LEVEL: 'trace' } });
    const keys = createKeys(server.dataDir, { reader: ['read'], writer: ['write'], auditor: ['audit'] });
    const agent = agentOf(4);
    const admin = readFileSync(path.join(server.dataDir, 'admin.key'), 'utf8').trim();
    const all = { ...keys, admin };
    const neverIssued = `flk_${'Q'.repeat(43)}`;
    const call = (key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      send(agent, server.baseUrl, {
        method,
        path,
        headers: { authorization: `Bearer ${key}`, ...headers },
        ...(body !== undefined && { body }),
      });

    for (const programme of theProgrammes()) expect((await call(admin, 'POST', '/programmes', programme)).status).toBe(201);
    const created = await call(keys.writer, 'POST', '/announcements', theThirtyMillion(), { 'idempotency-key': 'logged-once' });
    expect(created.status).toBe(201);
    const id = answered(created) ? (created.json.id as string) : '';
    const outcomes = await Promise.all([
      call(keys.reader, 'GET', `/announcements/${id}`),
      call(keys.reader, 'GET', '/totals?groupBy=programme'),
      call(keys.auditor, 'GET', '/events'),
      call(keys.auditor, 'POST', '/audit/replay'),
      call(keys.reader, 'POST', '/programmes', theProgrammes()[0]),
      call(neverIssued, 'GET', '/programmes'),
      call(admin.toLowerCase(), 'GET', '/programmes'),
      call(keys.writer, 'POST', '/announcements', '{"broken": ', { 'content-type': 'application/json' }),
      call(keys.writer, 'POST', '/announcements', theThreeMillion({ programme: 'never-registered' })),
      call(keys.writer, 'POST', `/announcements/${id}/amendments`, { changes: { title: 'x' }, reason: 'stale' }, { 'if-match': '"7"' }),
      call(keys.writer, 'POST', '/announcements', '{"__proto__":{"x":1}}', { 'content-type': 'application/json' }),
      call(keys.writer, 'POST', '/announcements', 'title=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      call(keys.writer, 'POST', '/announcements', theThirtyMillion({ title: 'other' }), { 'idempotency-key': 'logged-once' }),
      call(keys.reader, 'GET', '/programmes/%zz'),
      send(agent, server.baseUrl, { method: 'GET', path: '/programmes', headers: { authorization: keys.reader } }),
      send(agent, server.baseUrl, {
        method: 'GET',
        path: '/programmes',
        headers: { authorization: `Basic ${Buffer.from(`user:${keys.reader}`).toString('base64')}` },
      }),
    ]);
    await exchange(
      server.baseUrl,
      `GET /health/live HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    await exchange(server.baseUrl, `GET /health/live HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nX-Bad: a\0b\r\n\r\n`);
    expect(outcomes.map((reply) => reply.status)).toEqual([200, 200, 200, 200, 403, 401, 401, 400, 422, 412, 400, 415, 422, 400, 401, 401]);
    expect(await eventsOfType(agent, server.baseUrl, admin, 'FundingAnnounced')).toHaveLength(1);
    agent.destroy();
    server.signal('SIGTERM');
    expect((await server.exited).code).toBe(0);

    const log = server.output();
    expect(log.split('\n').filter((line) => line.includes('"msg":"request"')).length).toBeGreaterThanOrEqual(outcomes.length);
    for (const [name, key] of Object.entries({ ...all, neverIssued })) {
      // The whole key, its secret part, its Basic encoding: none of them in any line.
      for (const form of [key, key.slice(4), key.toLowerCase(), Buffer.from(`user:${key}`).toString('base64')]) {
        expect(log.includes(form), `the ${name} key (${form === key ? 'as is' : 'in another form'}) in the log`).toBe(false);
      }
    }
  });
});
