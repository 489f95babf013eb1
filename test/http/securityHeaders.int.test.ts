// Security headers: the same fixed set on every answer that went through routing, whatever its status.
import { describe, expect, it } from 'vitest';
import { aProgramme, clientOf, request, startTestLedger, type Reply } from '../support/ledger.js';

const CONTENT_SECURITY_POLICY =
  "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'none';img-src 'self' data:;" +
  "object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self' 'unsafe-inline';upgrade-insecure-requests;connect-src 'self'";

function securityHeadersOf(crossOriginResourcePolicy: string): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
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

function expectSecurityHeaders(reply: Reply, crossOriginResourcePolicy = 'same-origin'): void {
  const expected = securityHeadersOf(crossOriginResourcePolicy);
  const sent = Object.fromEntries(Object.keys(expected).map((name) => [name, reply.headers.get(name)]));
  expect(sent, `${reply.status} ${reply.text.slice(0, 200)}`).toEqual(expected);
  expect(reply.headers.get('x-powered-by')).toBeNull();
}

describe('security headers', () => {
  it('are on answers of every kind: 200, 201, 304, 400, 401, 404 and the dashboard page', async () => {
    const ledger = await startTestLedger();
    const admin = clientOf(ledger);

    const totals = await admin.get('/totals?groupBy=programme');
    const notModified = await request(ledger.baseUrl, 'GET', '/totals?groupBy=programme', {
      headers: { authorization: `Bearer ${ledger.adminKey}`, 'if-none-match': totals.headers.get('etag') ?? '' },
    });

    expect(totals.status).toBe(200);
    expect(notModified.status).toBe(304);
    expectSecurityHeaders(totals);
    expectSecurityHeaders(notModified);
    expectSecurityHeaders(await admin.post('/programmes', aProgramme()));
    expectSecurityHeaders(await admin.get('/totals?groupBy=nonsense'));
    expectSecurityHeaders(await clientOf(ledger, null).get('/totals'));
    expectSecurityHeaders(await admin.get('/no-such-route'));
    expectSecurityHeaders(await request(ledger.baseUrl, 'GET', '/'));
  });

  it('allow cross-origin reads of resources when CORS origins are configured', async () => {
    const ledger = await startTestLedger({ env: { CORS_ORIGINS: 'https://dashboard.example.org' } });

    expectSecurityHeaders(await clientOf(ledger).get('/totals'), 'cross-origin');
  });
});
