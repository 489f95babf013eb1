// Fixtures for the HTTP tests: a real ledger listening on 127.0.0.1 and a fetch wrapper; the scenarios built on them are in scenarios.ts.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
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

export interface TestLedger {
  readonly baseUrl: string;
  /** The key in <DATA_DIR>/admin.key; '' when this instance found keys in the store and so wrote none. */
  readonly adminKey: string;
  readonly dataDir: string;
  readonly ledger: Ledger;
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
  /** Closes this ledger and starts a new one on the same data directory (and a new port). */
  restart(): Promise<TestLedger>;
}

/** Starts the real service on 127.0.0.1, port 0; it is closed (and its temp data directory removed) when the test ends. */
export async function startTestLedger(options: TestLedgerOptions = {}): Promise<TestLedger> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'funding-ledger-test-'));
  if (options.dataDir === undefined) onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
  return launch({ ...options, dataDir });
}

async function launch(options: TestLedgerOptions & { dataDir: string }): Promise<TestLedger> {
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
  await ledger.app.listen({ host: config.host, port: config.port });
  const { port } = ledger.app.server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    adminKey: existsSync(adminKeyPath(dataDir)) ? readFileSync(adminKeyPath(dataDir), 'utf8').trim() : '',
    dataDir,
    ledger,
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
}

// ---- HTTP ----

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
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

/** One real HTTP request with Node's fetch. */
export async function request(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (typeof options.body === 'string') {
    body = options.body;
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(new URL(path, baseUrl), { method, headers: { ...headers, ...options.headers }, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: parseJson(text) };
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
export function clientOf(ledger: TestLedger, key: string | null = ledger.adminKey): Client {
  const withKey = (options: Omit<RequestOptions, 'body'> = {}): RequestOptions =>
    'key' in options ? options : { ...options, key: key ?? undefined };
  return {
    get: (path, options) => request(ledger.baseUrl, 'GET', path, withKey(options)),
    post: (path, body, options) => request(ledger.baseUrl, 'POST', path, { ...withKey(options), body }),
  };
}

/** The position /health/ready reports: the last event every projection has applied. */
export async function readyPosition(ledger: TestLedger): Promise<string> {
  const reply = await request(ledger.baseUrl, 'GET', '/health/ready');
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

/** Fails with the status and body when a reply is not the one expected, so a setup step never fails silently. */
export function expectStatus(reply: Reply, status: number): Reply {
  if (reply.status !== status) throw new Error(`expected HTTP ${status}, got ${reply.status}: ${reply.text}`);
  return reply;
}

// ---- Writes ----

/** Announces and returns the 201 body. */
export async function announce(ledger: TestLedger, body: Record<string, unknown>): Promise<AnnouncementReply> {
  return expectStatus(await clientOf(ledger).post('/announcements', body), 201).json as AnnouncementReply;
}

export interface AnnouncementReply {
  id: string;
  status: 'active' | 'withdrawn';
  revision: number;
  position: string;
  [field: string]: unknown;
}
