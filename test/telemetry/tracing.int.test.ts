// Tracing end to end: the real service in a child process sends its spans to an OTLP/HTTP receiver run by the test.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { SpanKind } from '@opentelemetry/api';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { tracer } from '../../src/telemetry/spans.js';
import { startTracing } from '../../src/telemetry/tracing.js';
import { createKeys, freePort, startChildLedger, tempDataDir, type ChildLedger } from '../support/childLedger.js';
import { expectStatus, request } from '../support/ledger.js';
import { theProgrammes, theThreeMillion } from '../support/scenarios.js';

/** A span as OTLP/HTTP JSON carries it (ids in hex), with its attributes flattened to values. */
interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly status: { code?: number };
  readonly service: unknown;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: (Omit<ReceivedSpan, 'attributes' | 'service' | 'parentSpanId'> & { parentSpanId?: string; attributes?: OtlpAttribute[] })[];
    }[];
  }[];
}

function valueOf(value: OtlpValue): unknown {
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.boolValue ?? value.doubleValue;
}

function attributesOf(attributes: OtlpAttribute[] = []): Record<string, unknown> {
  return Object.fromEntries(attributes.map(({ key, value }) => [key, valueOf(value)]));
}

/** A collector stand-in: every span POSTed to /v1/traces, answered 200 as a collector answers a full success. */
async function startReceiver(): Promise<{ endpoint: string; spans: ReceivedSpan[]; contentTypes: string[] }> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.push(String(req.headers['content-type']));
      const raw = Buffer.concat(chunks);
      const body = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as OtlpTraces;
      for (const resourceSpans of body.resourceSpans ?? []) {
        const service = attributesOf(resourceSpans.resource?.attributes)['service.name'];
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            spans.push({ ...span, parentSpanId: span.parentSpanId || undefined, attributes: attributesOf(span.attributes), service });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, contentTypes };
}

/** A ledger with the programmes registered and an admin key. */
async function ledgerWith(env: Record<string, string>): Promise<{ server: ChildLedger; key: string }> {
  const dataDir = tempDataDir();
  const { admin } = createKeys(dataDir, { admin: ['admin'] });
  const server = await startChildLedger({ dataDir, env });
  for (const programme of theProgrammes())
    expectStatus(await request(server.baseUrl, 'POST', '/programmes', { key: admin, body: programme }), 201);
  return { server, key: admin };
}

/** The correlationId recorded with the announcement's first event, read back through its history. */
async function correlationIdOf(server: ChildLedger, key: string, id: string): Promise<unknown> {
  const history = expectStatus(await request(server.baseUrl, 'GET', `/announcements/${id}/history`, { key }), 200);
  return (history.json.versions as { correlationId: unknown }[])[0]?.correlationId;
}

function logLinesOf(server: ChildLedger): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';

describe('tracing on (OTEL_EXPORTER_OTLP_ENDPOINT set)', () => {
  it(
    'exports route, command and append spans under the caller trace, and puts the trace id in the events and the logs',
    { timeout: 60_000 },
    async () => {
      const receiver = await startReceiver();
      const { server, key } = await ledgerWith({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: 'ledger-under-test' });

      const created = expectStatus(
        await request(server.baseUrl, 'POST', '/announcements', {
          key,
          body: theThreeMillion(),
          headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` },
        }),
        201,
      );
      const id = created.json.id as string;
      // No X-Correlation-Id: the events carry the trace id.
      expect(await correlationIdOf(server, key, id)).toBe(TRACE_ID);
      // An X-Correlation-Id still wins.
      const amended = await request(server.baseUrl, 'POST', `/announcements/${id}/amendments`, {
        key,
        body: { changes: { title: 'Three million to prosecute smugglers' }, reason: 'shorter title' },
        headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`, 'x-correlation-id': 'newsroom-batch-7' },
      });
      expectStatus(amended, 200);
      const history = expectStatus(await request(server.baseUrl, 'GET', `/announcements/${id}/history`, { key }), 200);
      expect((history.json.versions as { correlationId: string }[]).map((item) => item.correlationId)).toEqual([
        TRACE_ID,
        'newsroom-batch-7',
      ]);

      // The queued spans are sent when the service shuts down.
      server.signal('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(receiver.contentTypes.every((type) => type.startsWith('application/json'))).toBe(true);

      const traced = receiver.spans.filter((span) => span.traceId === TRACE_ID);
      const route = traced.find((span) => span.name === 'POST /announcements');
      expect(route).toMatchObject({
        kind: SpanKind.SERVER + 1, // OTLP numbers kinds from UNSPECIFIED = 0, the API from INTERNAL = 0
        parentSpanId: CALLER_SPAN_ID,
        service: 'ledger-under-test',
        attributes: expect.objectContaining({
          'http.request.method': 'POST',
          'http.route': '/announcements',
          'url.path': '/announcements',
          'url.scheme': 'http',
          'http.response.status_code': 201,
        }) as unknown,
      });
      const childrenOf = (parent: ReceivedSpan | undefined): ReceivedSpan[] =>
        traced.filter((span) => parent !== undefined && span.parentSpanId === parent.spanId);
      const command = childrenOf(route).find((span) => span.name === 'command AnnounceFunding');
      expect(command?.attributes).toMatchObject({
        'ledger.command': 'AnnounceFunding',
        'ledger.stream': `announcement-${id}`,
        'ledger.event_types': ['FundingAnnounced'],
        'ledger.revision': 0,
      });
      expect(
        childrenOf(command)
          .map((span) => span.name)
          .sort(),
      ).toEqual(['append', 'decide', 'load']);
      const append = childrenOf(command).find((span) => span.name === 'append');
      expect(append?.attributes).toMatchObject({
        'db.system.name': 'sqlite',
        'db.operation.name': 'append',
        'ledger.stream': `announcement-${id}`,
        'ledger.event_count': 1,
        'ledger.expected_revision': 'no-stream',
      });
      // The amendment's route span is a child of the same caller span, with the command's spans under it too.
      const amendment = traced.find((span) => span.name === 'POST /announcements/:id/amendments');
      expect(childrenOf(amendment).map((span) => span.name)).toEqual(['command AmendFunding']);
      // A request without traceparent starts a trace of its own.
      expect(
        receiver.spans.some((span) => span.name === 'POST /programmes' && span.traceId !== TRACE_ID && span.parentSpanId === undefined),
      ).toBe(true);

      // Every line logged for the request carries its trace and span ids, the per-request line included.
      const lines = logLinesOf(server);
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'request', url: '/announcements', status: 201, trace_id: TRACE_ID, span_id: route?.spanId }),
      );
    },
  );
});

describe('tracing on, with the collector down', () => {
  it(
    'serves writes and exits 0 on SIGTERM with one warning, and never logs the credentials of the endpoint URL',
    { timeout: 60_000 },
    async () => {
      // Nothing listens on this port: every export is refused.
      const { server, key } = await ledgerWith({
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://collector:hunter2@127.0.0.1:${await freePort()}/otlp`,
      });
      expectStatus(await request(server.baseUrl, 'POST', '/announcements', { key, body: theThreeMillion() }), 201);
      server.signal('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      const lines = logLinesOf(server);
      expect(lines).toContainEqual(
        expect.objectContaining({
          msg: 'tracing on: spans go to this OpenTelemetry collector over OTLP/HTTP',
          endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/otlp$/) as unknown,
        }),
      );
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 40, msg: 'tracing: the last spans could not be sent to the collector' }),
      );
      expect(server.output()).not.toContain('hunter2');
    },
  );
});

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it(
    'loads no SDK: the request id stays the correlationId, logs carry no trace, a traceparent changes nothing',
    { timeout: 60_000 },
    async () => {
      const { server, key } = await ledgerWith({ OTEL_SERVICE_NAME: 'ledger-under-test' });
      const created = expectStatus(
        await request(server.baseUrl, 'POST', '/announcements', {
          key,
          body: theThreeMillion(),
          headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`, 'x-request-id': 'untraced-request-1' },
        }),
        201,
      );
      expect(await correlationIdOf(server, key, created.json.id as string)).toBe('untraced-request-1');
      server.signal('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      const lines = logLinesOf(server);
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', url: '/announcements', status: 201 }));
      expect(lines.filter((line) => 'trace_id' in line)).toEqual([]);
      expect(server.output()).not.toContain('tracing on');
    },
  );

  it('leaves the API on its no-op tracer', async () => {
    const config = loadConfig({ DATA_DIR: tempDataDir() });
    expect(config.tracing).toBeUndefined();
    expect(await startTracing(config.tracing, pino({ level: 'silent' }))).toBeUndefined();
    const span = tracer.startSpan('anything');
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toBe('00000000000000000000000000000000');
    span.end();
  });
});

describe('tracing configuration', () => {
  it('is on with an OTLP endpoint (the traces endpoint first), off with OTEL_SDK_DISABLED, and refuses a URL that is not http(s)', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({
      serviceName: 'funding-ledger',
      endpoint: 'http://collector:4318',
    });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.org/v1/traces',
        OTEL_SERVICE_NAME: 'ledger-eu',
      }).tracing,
    ).toEqual({
      serviceName: 'ledger-eu',
      endpoint: 'https://traces.example.org/v1/traces',
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http\(s\) URL/,
    );
  });
});
