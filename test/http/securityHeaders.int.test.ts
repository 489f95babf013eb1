// Security headers: every routed answer carries a fixed set, whatever its status: the API set on API answers
// (OWASP's REST Security Cheat Sheet), helmet's full set on the dashboard and the docs.
import { describe, expect, it } from 'vitest';
import { clientOf, request, startTestLedger, type Reply } from '../support/ledger.js';
import { aProgramme } from '../support/scenarios.js';

const PAGE_CONTENT_SECURITY_POLICY =
  "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'none';img-src 'self' data:;" +
  "object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline';upgrade-insecure-requests;connect-src 'self'";

function apiHeadersOf(crossOriginResourcePolicy: string): Record<string, string> {
  return {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cross-origin-resource-policy': crossOriginResourcePolicy,
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  };
}

function pageHeadersOf(crossOriginResourcePolicy: string): Record<string, string> {
  return {
    'content-security-policy': PAGE_CONTENT_SECURITY_POLICY,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': crossOriginResourcePolicy,
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'SAMEORIGIN',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  };
}

function expectHeaders(reply: Reply, expected: Record<string, string>, absent: readonly string[] = []): void {
  const names = [...Object.keys(expected), ...absent];
  const sent = Object.fromEntries(names.map((name) => [name, reply.headers.get(name)]));
  const wanted = { ...Object.fromEntries(absent.map((name) => [name, null])), ...expected };
  expect(sent, `${reply.status} ${reply.text.slice(0, 200)}`).toEqual(wanted);
  expect(reply.headers.get('x-powered-by')).toBeNull();
}

/** Sent only on pages: they act on HTML documents. */
const PAGE_ONLY = Object.keys(pageHeadersOf('same-origin')).filter((name) => !(name in apiHeadersOf('same-origin')));

const expectApiHeaders = (reply: Reply, corp = 'same-origin'): void => expectHeaders(reply, apiHeadersOf(corp), PAGE_ONLY);
const expectPageHeaders = (reply: Reply, corp = 'same-origin'): void => expectHeaders(reply, pageHeadersOf(corp));

describe('security headers', () => {
  it('are the API set on API answers of every kind: 200, 201, 304, 400, 401 and 404', async () => {
    const ledger = await startTestLedger();
    const admin = clientOf(ledger);

    const totals = await admin.get('/totals?groupBy=programme');
    const notModified = await request(ledger.baseUrl, 'GET', '/totals?groupBy=programme', {
      headers: { authorization: `Bearer ${ledger.adminKey}`, 'if-none-match': totals.headers.get('etag') ?? '' },
    });

    expect(totals.status).toBe(200);
    expect(notModified.status).toBe(304);
    expectApiHeaders(totals);
    expectApiHeaders(notModified);
    expectApiHeaders(await admin.post('/programmes', aProgramme()));
    expectApiHeaders(await admin.get('/totals?groupBy=nonsense'));
    expectApiHeaders(await clientOf(ledger, null).get('/totals'));
    expectApiHeaders(await admin.get('/no-such-route'));
  });

  it("are helmet's full set on the dashboard, its assets and the docs", async () => {
    const ledger = await startTestLedger();

    const page = await request(ledger.baseUrl, 'GET', '/');
    expect(page.status).toBe(200);
    expectPageHeaders(page);
    expectPageHeaders(await request(ledger.baseUrl, 'GET', '/dashboard/'));
    expectPageHeaders(await request(ledger.baseUrl, 'GET', '/dashboard/no-such-asset.js'));
    expectPageHeaders(await request(ledger.baseUrl, 'GET', '/openapi.yaml'));
  });

  it('allow cross-origin reads of resources when CORS origins are configured', async () => {
    const ledger = await startTestLedger({ env: { CORS_ORIGINS: 'https://dashboard.example.org' } });

    expectApiHeaders(await clientOf(ledger).get('/totals'), 'cross-origin');
    expectPageHeaders(await request(ledger.baseUrl, 'GET', '/'), 'cross-origin');
  });
});
