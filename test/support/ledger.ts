// Fixtures for the HTTP tests: a real ledger answering through app.inject() or listening on 127.0.0.1, and requests to it; the scenarios built on them are in scenarios.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expect, onTestFinished } from 'vitest';
import { adminKeyPath, generateKey, type Scope } from '../../src/auth/keys.js';
import { loadConfig } from '../../src/config.js';
import { startLedger, type Ledger } from '../../src/ledger.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { formatPosition } from '../../src/store/position.js';

export interface TestLedgerOptions {
  /** Reuse a data directory; a fresh one under the OS temp dir (removed after the test) when absent. */
  readonly dataDir?: string;
  /** Extra environment for loadConfig, e.g. { PUBLIC_READ: 'true' }. */
  readonly env?: Record<string, string>;
  /** A fixed clock for recordedAt and registeredAt. */
  readonly now?: () => string;
}

/** A running ledger a test sends requests to; through `app.inject()` unless it is a TestLedger, which listens. */
export interface LedgerUnderTest {
  /** The key in <DATA_DIR>/admin.key; '' when this instance found keys in the store and so wrote none. */
  readonly adminKey: string;
  readonly dataDir: string;
  readonly ledger: Ledger;
  /** One request, through app.inject() or, for a ledger that listens, a real socket. */
  send(method: string, path: string, options?: RequestOptions): Promise<Reply>;
  /** Position of the store's last event, '0' when empty: what any write moves. */
  storeHead(): Promise<string>;
  /** Every event whose stream starts with `prefix`, read from the store itself (not from a projection). */
  eventsIn(prefix: string): Promise<RecordedEvent[]>;
  /**
   * Creates an API key through the ledger's keys stream and returns the key at once. The write ends a moment later;
   * a request with the key meanwhile waits for it (the service waits for its own key writes before refusing a key).
   * A write that fails fails the test when the ledger closes.
   */
  createKey(name: string, scopes: readonly Scope[]): string;
  /** Revokes the active key of that name through the keys stream (after this ledger's earlier key writes), as `POST /admin/keys/{name}/revocation` does. */
  revokeKey(name: string): void;
  /** Stops the server, projections and store; safe to call twice. */
  close(): Promise<void>;
  /** Closes this ledger and starts a new one on the same data directory (and a new port when it listens). */
  restart(): Promise<this>;
}

/** A ledger listening on 127.0.0.1: for tests about sockets, connections, streaming, timeouts and child processes. */
export interface TestLedger extends LedgerUnderTest {
  readonly baseUrl: string;
}

/** Starts the real service on 127.0.0.1, port 0; it is closed (and its temp data directory removed) when the test ends. */
export async function startTestLedger(options: TestLedgerOptions = {}): Promise<TestLedger> {
  return (await launch({ ...options, dataDir: aDataDir(options), listen: true })) as TestLedger;
}

/** Starts the real service without a port: requests go through app.inject(). Closed and cleaned up as startTestLedger's. */
export async function startInjectedLedger(options: TestLedgerOptions = {}): Promise<LedgerUnderTest> {
  return launch({ ...options, dataDir: aDataDir(options), listen: false });
}

function aDataDir(options: TestLedgerOptions): string {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'funding-ledger-test-'));
  if (options.dataDir === undefined) onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
  return dataDir;
}

async function launch(options: TestLedgerOptions & { dataDir: string; listen: boolean }): Promise<LedgerUnderTest> {
  const { dataDir } = options;
  const config = loadConfig({ LOG_LEVEL: 'silent', ...options.env, DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0' });
  const ledger = await startLedger(config, pino({ level: 'silent' }), options.now === undefined ? {} : { now: options.now });
  let closed = false;
  const keyWrites: Promise<unknown>[] = [];
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const failed = (await Promise.allSettled(keyWrites)).find((outcome) => outcome.status === 'rejected');
    await ledger.close();
    if (failed !== undefined) throw new Error(`a key write of createKey or revokeKey failed: ${String(failed.reason)}`);
  };
  const keyWrite = (written: Promise<unknown>): void => {
    // Kept, and looked at when the ledger closes; never an unhandled rejection meanwhile.
    written.catch(() => undefined);
    keyWrites.push(written);
  };
  onTestFinished(close);
  let baseUrl: string | undefined;
  if (options.listen) {
    await ledger.app.listen({ host: config.host, port: config.port });
    baseUrl = `http://127.0.0.1:${(ledger.app.server.address() as AddressInfo).port}`;
  }
  const underTest: LedgerUnderTest = {
    adminKey: existsSync(adminKeyPath(dataDir)) ? readFileSync(adminKeyPath(dataDir), 'utf8').trim() : '',
    dataDir,
    ledger,
    send: (method, path, requestOptions) =>
      baseUrl === undefined ? inject(ledger, method, path, requestOptions) : request(baseUrl, method, path, requestOptions),
    async storeHead() {
      const head = await ledger.context.store.headPosition();
      return head === undefined ? '0' : formatPosition(head);
    },
    async eventsIn(prefix) {
      const events: RecordedEvent[] = [];
      for await (const event of ledger.context.store.readAll({ filter: { streamPrefixes: [prefix] } })) events.push(event);
      return events;
    },
    createKey(name, scopes) {
      const key = generateKey();
      keyWrite(ledger.context.keys.create(name, scopes, undefined, key));
      return key;
    },
    revokeKey(name) {
      keyWrite(ledger.context.keys.revoke(name));
    },
    close,
    async restart() {
      await close();
      return launch(options);
    },
  };
  return baseUrl === undefined ? underTest : ({ ...underTest, baseUrl } as TestLedger);
}

// ---- HTTP ----

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  /** The body as received. */
  readonly bytes: Buffer;
  /** The body decoded as UTF-8 (a byte order mark dropped), as fetch's text() does. */
  readonly text: string;
  /** The parsed body; undefined when empty or not JSON. Typed loosely: tests assert its shape. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

export interface RequestOptions {
  /** API key sent as "Authorization: Bearer <key>". */
  readonly key?: string | undefined;
  /** An object is sent as JSON; a string is sent as is (fetch calls it text/plain unless headers say otherwise). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** One request to a ledger (through app.inject() unless it listens), or one real HTTP request with Node's fetch to a base URL. */
export async function request(to: string | LedgerUnderTest, method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  if (typeof to !== 'string') return to.send(method, path, options);
  const { headers, body } = encode(options);
  const response = await fetch(new URL(path, to), { method, headers, body });
  return replyOf(response.status, response.headers, Buffer.from(await response.arrayBuffer()));
}

/** The request through Fastify's inject: no socket. A string body is sent as text/plain, as fetch sends it. */
async function inject(ledger: Ledger, method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const { headers, body } = encode(options);
  const hasType = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
  if (typeof options.body === 'string' && !hasType) headers['content-type'] = 'text/plain;charset=UTF-8';
  const response = await ledger.app.inject({
    method: method as 'GET',
    url: path,
    headers,
    ...(body === undefined ? {} : { payload: body }),
  });
  const replyHeaders = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    for (const one of [value ?? []].flat()) replyHeaders.append(name, String(one));
  }
  return replyOf(response.statusCode, replyHeaders, response.rawPayload);
}

function encode(options: RequestOptions): { headers: Record<string, string>; body: string | undefined } {
  const headers: Record<string, string> = {};
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (typeof options.body === 'string') {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  return { headers: { ...headers, ...options.headers }, body };
}

function replyOf(status: number, headers: Headers, bytes: Buffer): Reply {
  const text = new TextDecoder().decode(bytes);
  return { status, headers, bytes, text, json: parseJson(text) };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (_error) {
    return undefined;
  }
}

export interface Client {
  get(path: string, options?: Omit<RequestOptions, 'body'>): Promise<Reply>;
  post(path: string, body: unknown, options?: Omit<RequestOptions, 'body'>): Promise<Reply>;
}

/** Requests to one ledger with the admin key, another key, or (null) none; `options.key` overrides it per request. */
export function clientOf(ledger: LedgerUnderTest, key: string | null = ledger.adminKey): Client {
  const withKey = (options: Omit<RequestOptions, 'body'> = {}): RequestOptions =>
    'key' in options ? options : { ...options, key: key ?? undefined };
  return {
    get: (path, options) => ledger.send('GET', path, withKey(options)),
    post: (path, body, options) => ledger.send('POST', path, { ...withKey(options), body }),
  };
}

/** The position /health/ready reports: the last event every projection has applied. */
export async function readyPosition(ledger: LedgerUnderTest): Promise<string> {
  const reply = await ledger.send('GET', '/health/ready');
  return (reply.json as { position: string }).position;
}

/** The `items` of a list reply. */
export function itemsOf<Item = Record<string, unknown>>(reply: Reply): Item[] {
  return reply.json.items as Item[];
}

/** The ids of a list of announcements, in the order answered. */
export function idsOf(reply: Reply): string[] {
  return itemsOf<{ id: string }>(reply).map((item) => item.id);
}

/** The field path of each error a problem names. */
export function errorFieldsOf(reply: Reply): string[] {
  return (reply.json.errors as { field: string }[]).map((error) => error.field);
}

/** What a client can tell apart of a write's answer: status, the headers that matter, body. */
export function answerOf(reply: Reply) {
  return { status: reply.status, etag: reply.headers.get('etag'), location: reply.headers.get('location'), body: reply.json as unknown };
}

/**
 * An RFC 9457 problem: the status (in the body too), application/problem+json, a type and title of its own (never
 * about:blank); with `type` that type (the part after urn:funding-ledger:problem:), with `retryAfter` a Retry-After in
 * seconds, with `body` those fields of the body too.
 */
export function expectProblem(
  reply: Reply,
  status: number,
  expected: { type?: string; retryAfter?: boolean; body?: Record<string, unknown> } = {},
): void {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.json).toMatchObject({ type: expect.any(String), title: expect.any(String), status, ...expected.body });
  if (expected.type === undefined) expect(reply.json.type).not.toBe('about:blank');
  else expect(reply.json.type).toBe(`urn:funding-ledger:problem:${expected.type}`);
  if (expected.retryAfter === true) expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
}

/** A 400 problem with exactly one error: where it is (body, query, path, header), the field, and the message (equal, or matching). */
export function expectOneFieldRefused(reply: Reply, where: string, field: string, message: string | RegExp): void {
  expect(reply.status, reply.text).toBe(400);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.json.errors).toEqual([
    { in: where, field, message: typeof message === 'string' ? message : expect.stringMatching(message) },
  ]);
}

/** Fails with the status and body when a reply is not the one expected, so a setup step never fails silently. */
export function expectStatus(reply: Reply, status: number): Reply {
  if (reply.status !== status) throw new Error(`expected HTTP ${status}, got ${reply.status}: ${reply.text}`);
  return reply;
}

// ---- Writes ----

/** Announces and returns the 201 body. */
export async function announce(ledger: LedgerUnderTest, body: Record<string, unknown>): Promise<AnnouncementReply> {
  return expectStatus(await clientOf(ledger).post('/announcements', body), 201).json as AnnouncementReply;
}

export interface AnnouncementReply {
  id: string;
  status: 'active' | 'withdrawn';
  revision: number;
  position: string;
  [field: string]: unknown;
}
