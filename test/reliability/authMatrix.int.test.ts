// Every route of the running app x {no key, bad key, read, write, audit, metrics, admin}: the status the OpenAPI document promises.
import { describe, expect, it } from 'vitest';
import { hasScope, type Scope } from '../../src/auth/keys.js';
import { startTestLedger } from '../support/ledger.js';
import { agentOf, answered, send } from './http.js';
import { journalExport } from './journal.js';
import { nameOf, pathOf, routesOf, type Route } from './routes.js';

type Caller = 'no key' | 'bad key' | Scope;
const CALLERS: readonly Caller[] = ['no key', 'bad key', 'read', 'write', 'audit', 'metrics', 'admin'];
/** Well formed and never issued: refused as a key, not as a malformed header. */
const BAD_KEY = 'flk_thisKeyWasNeverIssuedByThisLedger00000000';

/** 401, 403, or `pass`: any answer but those two (and never a 5xx). */
function expected(route: Route, caller: Caller, publicRead: boolean): 401 | 403 | 'pass' {
  if (route.scope === 'public') return 'pass';
  if (caller === 'bad key') return 401;
  if (caller === 'no key') return route.scope === 'read' && publicRead ? 'pass' : 401;
  return hasScope({ id: caller, name: caller, scopes: [caller] }, route.scope) ? 'pass' : 403;
}

describe.each([false, true])('the auth matrix with PUBLIC_READ=%s', (publicRead) => {
  it('gives every route and caller the documented status, and changes nothing', async () => {
    const ledger = await startTestLedger({ env: { PUBLIC_READ: String(publicRead) } });
    const keys: Record<Caller, string | undefined> = {
      'no key': undefined,
      'bad key': BAD_KEY,
      read: ledger.createKey('reader', ['read']),
      write: ledger.createKey('writer', ['write']),
      audit: ledger.createKey('auditor', ['audit']),
      metrics: ledger.createKey('scraper', ['metrics']),
      admin: ledger.adminKey,
    };
    const agent = agentOf(8);
    const routes = await routesOf(ledger);
    const before = await journalExport(agent, ledger.baseUrl, ledger.adminKey);

    const cells: string[] = [];
    const wrong: string[] = [];
    for (const route of routes) {
      for (const caller of CALLERS) {
        const key = keys[caller];
        const reply = await send(agent, ledger.baseUrl, {
          method: route.method,
          path: pathOf(route),
          headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
          // A write that gets past authentication meets validation: nothing is recorded.
          ...(route.method === 'POST' && { body: {} }),
          timeoutMs: 10_000,
        });
        const want = expected(route, caller, publicRead);
        const got = answered(reply) ? reply.status : reply.error;
        const ok = want === 'pass' ? typeof got === 'number' && got !== 401 && got !== 403 && got < 500 : got === want;
        cells.push(`${nameOf(route)} ${caller}`);
        if (!ok) wrong.push(`${nameOf(route)} with ${caller}: expected ${want}, got ${got}`);
        if (answered(reply) && (reply.status === 401 || reply.status === 403) && route.method !== 'HEAD') {
          expect(reply.headers['content-type'], nameOf(route)).toMatch(/^application\/problem\+json/);
          if (reply.status === 401) expect(reply.headers['www-authenticate'], nameOf(route)).toMatch(/^Bearer /);
        }
      }
    }

    expect(wrong).toEqual([]);
    // The routes every deployment has, whatever else appears: the matrix is derived, so it must at least cover these.
    const names = new Set(routes.map(nameOf));
    for (const name of [
      'GET /health/live',
      'POST /announcements',
      'GET /totals',
      'GET /events',
      'GET /metrics',
      'GET /openapi.json',
      'GET /docs',
    ])
      expect(names).toContain(name);
    expect(routes.filter((route) => route.documented && route.scope !== 'public').length).toBeGreaterThan(15);
    expect(await journalExport(agent, ledger.baseUrl, ledger.adminKey)).toBe(before);
    agent.destroy();
    console.info(`auth matrix (PUBLIC_READ=${publicRead}): ${routes.length} routes x ${CALLERS.length} callers = ${cells.length} cells`);
  });
});
