// Fuzz every route with hostile bodies, parameters, queries and headers: 4xx problems, never a 5xx or a hang, journal unchanged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { announce, expectStatus, clientOf, startTestLedger, type TestLedger } from '../support/ledger.js';
import { anExchangeRate, registerProgrammes, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';
import {
  contentTypes,
  garbageAuthorization,
  garbageHeaderValues,
  hostileValues,
  maliciousStrings,
  nanLikeStrings,
  onTheWire,
  paramPoison,
  pollution,
  serialize,
  strangeKeys,
  textDamage,
  unicodeStrings,
  withKey,
} from './hostile.js';
import { agentOf, answered, send, type Answer, type NoAnswer } from './http.js';
import { journalExport } from './journal.js';
import { nameOf, pathOf, routesOf, type Route } from './routes.js';

/** FUZZ_SEED replays a run; otherwise each run draws new cases (the seed is printed, and fast-check prints it on failure). */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 0x7fff_ffff);
/** FUZZ_SCALE=10 runs ten times the cases (a longer hunt than the suite's). */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const RUNS = Object.fromEntries(
  Object.entries({ bodies: 220, replayBodies: 40, params: 400, queries: 500, authorization: 600, headers: 400, contentTypes: 200 }).map(
    ([name, runs]) => [name, runs * SCALE],
  ),
) as Record<'bodies' | 'replayBodies' | 'params' | 'queries' | 'authorization' | 'headers' | 'contentTypes', number>;
/** A request unanswered after this long is a hang. */
const HANG_MS = 10_000;

/** An id no announcement has. */
const NOWHERE = '0e6a9c52-7d1f-4b3a-9c8e-5f4d3b2a1c0e';

interface Template {
  /** A body the route validates but must refuse (the code exists, the programme does not...): nothing is ever written. */
  readonly body: Record<string, unknown>;
  /** Fields that make it refused: a mutation may remove them, never set them. */
  readonly anchors: readonly string[];
  readonly params?: Record<string, string>;
  readonly refusedWith: number;
}

const TEMPLATES: Record<string, Template> = {
  'POST /programmes': {
    body: { code: 'oic-supply-chains', name: 'Registered twice', description: 'the code exists' },
    anchors: ['code'],
    refusedWith: 409,
  },
  'POST /programmes/:code/rename': {
    body: { name: 'A new name', description: 'for a programme nobody registered', reason: 'renaming what does not exist' },
    anchors: [],
    params: { code: 'never-registered' },
    refusedWith: 404,
  },
  'POST /announcements': { body: theThreeMillion({ programme: 'never-registered' }), anchors: ['programme'], refusedWith: 422 },
  'POST /announcements/:id/amendments': {
    body: { changes: { title: 'Amended', country: 'GB' }, reason: 'amending what does not exist' },
    anchors: [],
    params: { id: NOWHERE },
    refusedWith: 404,
  },
  'POST /announcements/:id/withdrawal': {
    body: { reason: 'withdrawing what does not exist' },
    anchors: [],
    params: { id: NOWHERE },
    refusedWith: 404,
  },
  'POST /exchange-rates': { body: anExchangeRate({ base: 'GBP', quote: 'GBP' }), anchors: ['base', 'quote'], refusedWith: 422 },
};

const tally = new Map<string, number>();
let cases = 0;

function count(reply: Answer | NoAnswer): void {
  cases += 1;
  const key = answered(reply) ? String(reply.status) : reply.error;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

/** The invariant for hostile input: answered in time, 400-499, as application/problem+json whose status is the HTTP one. */
function expectProblem(reply: Answer | NoAnswer, method: string, what: string): void {
  count(reply);
  if (!answered(reply)) throw new Error(`${what}: no answer (${reply.error})`);
  expect(reply.status, `${what}: ${reply.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(reply.status, `${what}: ${reply.text.slice(0, 300)}`).toBeLessThan(500);
  if (method === 'HEAD') return;
  expect(reply.headers['content-type'], what).toMatch(/^application\/problem\+json/);
  expect(reply.json?.status, what).toBe(reply.status);
}

/** For input that may be valid (a read with odd but acceptable options): never a 5xx or a hang; refusals are problems. */
function expectNoFault(reply: Answer | NoAnswer, method: string, what: string): void {
  count(reply);
  if (!answered(reply)) throw new Error(`${what}: no answer (${reply.error})`);
  expect(reply.status, `${what}: ${reply.text.slice(0, 300)}`).toBeLessThan(500);
  if (reply.status >= 400 && method !== 'HEAD') expect(reply.headers['content-type'], what).toMatch(/^application\/problem\+json/);
}

/** Percent-encodes UTF-8 bytes (lone surrogates become U+FFFD, as a browser sends them); never throws. */
function encode(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

interface Fuzzed {
  readonly ledger: TestLedger;
  readonly routes: Route[];
  readonly agent: ReturnType<typeof agentOf>;
  readonly admin: Record<string, string>;
  /** Fails unless GET /audit/export answers exactly what it did before the fuzzing. */
  readonly expectJournalUnchanged: () => Promise<void>;
}

/** A ledger with both programmes, one announcement and one rate: enough for every route to have something to refuse. */
async function fuzzedLedger(): Promise<Fuzzed> {
  const ledger = await startTestLedger();
  await registerProgrammes(ledger);
  await announce(ledger, theThirtyMillion());
  expectStatus(await clientOf(ledger).post('/exchange-rates', anExchangeRate()), 201);
  const agent = agentOf(4);
  const before = await journalExport(agent, ledger.baseUrl, ledger.adminKey);
  expect(before.split('\n').filter(Boolean)).toHaveLength(5);
  return {
    ledger,
    routes: await routesOf(ledger),
    agent,
    admin: { authorization: `Bearer ${ledger.adminKey}` },
    expectJournalUnchanged: async () => {
      expect(await journalExport(agent, ledger.baseUrl, ledger.adminKey)).toBe(before);
      expect(({} as Record<string, unknown>).polluted, 'Object.prototype polluted').toBeUndefined();
      agent.destroy();
    },
  };
}

// ---- Body mutations, applied to a template ----

type Path = readonly (string | number)[];

/** Every path inside a JSON value, the root excluded. */
function pathsIn(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const path = [...prefix, Array.isArray(value) ? Number(key) : key];
    return [path, ...pathsIn(item, path)];
  });
}

type Mutation =
  | { kind: 'set'; path: Path; value: unknown }
  | { kind: 'delete'; path: Path }
  | { kind: 'add'; at: Path; key: string; value: unknown }
  | { kind: 'replace'; value: unknown };

function mutationsOf(template: Template): fc.Arbitrary<Mutation> {
  const paths = pathsIn(template.body);
  const settable = paths.filter((path) => !template.anchors.includes(String(path[0])) || path.length > 1);
  const objects: Path[] = [
    [],
    ...paths.filter((path) => typeof valueAt(template.body, path) === 'object' && !Array.isArray(valueAt(template.body, path))),
  ];
  return fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('set' as const), path: fc.constantFrom(...settable), value: hostileValues }), weight: 5 },
    { arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.constantFrom(...paths) }), weight: 1 },
    {
      arbitrary: fc.record({ kind: fc.constant('add' as const), at: fc.constantFrom(...objects), key: strangeKeys, value: hostileValues }),
      weight: 2,
    },
    {
      arbitrary: pollution.chain(({ key, value }) =>
        fc.record({ kind: fc.constant('add' as const), at: fc.constantFrom(...objects), key: fc.constant(key), value: fc.constant(value) }),
      ),
      weight: 2,
    },
    { arbitrary: fc.record({ kind: fc.constant('replace' as const), value: hostileValues }), weight: 1 },
  );
}

function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>(
    (node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined),
    value,
  );
}

/** Applies a mutation to a copy, keeping own `__proto__` keys as plain keys. */
function mutate(body: unknown, mutation: Mutation): unknown {
  if (mutation.kind === 'replace') return mutation.value;
  const path = mutation.kind === 'add' ? [...mutation.at, mutation.key] : mutation.path;
  const rebuild = (node: unknown, depth: number): unknown => {
    if (typeof node !== 'object' || node === null) return node;
    const key = path[depth] as string | number;
    const last = depth === path.length - 1;
    if (Array.isArray(node)) {
      const copy = [...node];
      if (last && mutation.kind === 'delete') copy.splice(Number(key), 1);
      else copy[Number(key)] = last ? (mutation as { value: unknown }).value : rebuild(copy[Number(key)], depth + 1);
      return copy;
    }
    if (last && mutation.kind === 'delete') return Object.fromEntries(Object.entries(node).filter(([name]) => name !== key));
    return withKey(
      node,
      String(key),
      last ? (mutation as { value: unknown }).value : rebuild((node as Record<string, unknown>)[key], depth + 1),
    );
  };
  return rebuild(body, 0);
}

describe('fuzzing every route', () => {
  console.info(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} replays this run)`);

  it('refuses hostile bodies on every write with a 4xx problem', { timeout: 120_000 }, async () => {
    const { routes, ledger, agent, admin, expectJournalUnchanged } = await fuzzedLedger();
    const writes = routes.filter((route) => route.method === 'POST');
    expect(writes.length).toBeGreaterThan(0);

    for (const route of writes) {
      const template = TEMPLATES[nameOf(route)];
      if (template === undefined) {
        // A write this suite does not know yet: bodies refused before any handler runs, whatever the route takes.
        const refusedAnywhere = fc.oneof(
          pollution.map(({ key, value }) => serialize(withKey({ name: 'x' }, key, value))),
          fc.json().map((json) => `${json.slice(0, -1) || '{'}`),
        );
        await fc.assert(
          fc.asyncProperty(refusedAnywhere, async (text) => {
            const reply = await send(agent, ledger.baseUrl, {
              method: 'POST',
              path: pathOf(route),
              headers: { ...admin, 'content-type': 'application/json' },
              body: text,
              timeoutMs: HANG_MS,
            });
            (route.takesBody ? expectProblem : expectNoFault)(reply, 'POST', `${nameOf(route)} with ${text.slice(0, 200)}`);
          }),
          { seed: SEED, numRuns: RUNS.replayBodies },
        );
        continue;
      }
      const path = pathOf(route, template.params);
      const sanity = await send(agent, ledger.baseUrl, { method: 'POST', path, headers: admin, body: template.body });
      expect(sanity.status, `${nameOf(route)}: the unmutated template`).toBe(template.refusedWith);
      const bodies = fc.record({
        mutations: fc.array(mutationsOf(template), { minLength: 1, maxLength: 3 }),
        // Mostly well-formed JSON sent as JSON, so the cases reach validation and the handlers.
        damage: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: textDamage, weight: 1 }),
        contentType: fc.oneof({ arbitrary: fc.constant(null), weight: 6 }, { arbitrary: contentTypes, weight: 1 }),
      });
      await fc.assert(
        fc.asyncProperty(bodies, async ({ mutations, damage, contentType }) => {
          const body = mutations.reduce<unknown>(mutate, template.body);
          const text = damage === null ? serialize(body) : damage(serialize(body));
          const reply = await send(agent, ledger.baseUrl, {
            method: 'POST',
            path,
            headers: { ...admin, 'content-type': contentType ?? 'application/json' },
            body: text,
            timeoutMs: HANG_MS,
          });
          expectProblem(reply, 'POST', `${nameOf(route)} (${contentType ?? 'application/json'}) with ${text.slice(0, 300)}`);
        }),
        { seed: SEED, numRuns: RUNS.bodies },
      );
    }
    await expectJournalUnchanged();
  });

  it('refuses hostile path parameters with a 4xx problem, and serves no file outside its root', { timeout: 60_000 }, async () => {
    const { routes, ledger, agent, admin, expectJournalUnchanged } = await fuzzedLedger();
    const withParams = routes.filter((route) => /[:*]/.test(route.url));
    expect(withParams.length).toBeGreaterThan(5);
    const value = fc
      .record({
        base: fc.oneof(
          unicodeStrings,
          maliciousStrings,
          nanLikeStrings,
          fc.uuid(),
          fc.constantFrom('oic-supply-chains', 'GB', 'unallocated', NOWHERE),
        ),
        poison: paramPoison,
        at: fc.nat(),
        suffix: fc.constantFrom('', '', '', '%', '%zz', '%c0%af', '%ED%A0%80', '%2e%2e%2f%2e%2e%2fpackage.json', '/../../package.json'),
      })
      .map(({ base, poison, at, suffix }) => {
        const where = at % (base.length + 1);
        return `${encode(`${base.slice(0, where)}${poison}${base.slice(where)}`)}${suffix}`;
      });

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withParams), value, async (route, encoded) => {
        const template = TEMPLATES[nameOf(route)];
        const names = [...route.url.matchAll(/:(\w+)|\*/g)].map((match) => match[1] ?? '*');
        const path = pathOf(route, Object.fromEntries(names.map((name) => [name, encoded])));
        const reply = await send(agent, ledger.baseUrl, {
          method: route.method,
          path,
          headers: admin,
          ...(route.method === 'POST' && { body: template?.body ?? {} }),
          timeoutMs: HANG_MS,
        });
        const what = `${route.method} ${path}`;
        if (route.url.includes('*')) {
          // A static file may legitimately be found; what must never be is a file from outside the asset root.
          expectNoFault(reply, route.method, what);
          expect(answered(reply) && /"name": "funding-ledger"|root:x:0:0/.test(reply.text), `${what} served a file outside its root`).toBe(
            false,
          );
        } else {
          expectProblem(reply, route.method, what);
        }
      }),
      { seed: SEED, numRuns: RUNS.params },
    );
    await expectJournalUnchanged();
  });

  it('answers hostile query strings on every read without a fault', { timeout: 60_000 }, async () => {
    const { routes, ledger, agent, admin, expectJournalUnchanged } = await fuzzedLedger();
    const reads = routes.filter((route) => route.method === 'GET');
    const pair = (route: Route) =>
      fc.record({
        key: fc.oneof(
          { arbitrary: route.queryParameters.length > 0 ? fc.constantFrom(...route.queryParameters) : strangeKeys, weight: 3 },
          { arbitrary: strangeKeys, weight: 1 },
          {
            arbitrary: fc.constantFrom('__proto__[polluted]', 'constructor[prototype][polluted]', '__proto__.polluted', 'a[]', 'a[b][c]'),
            weight: 1,
          },
        ),
        value: fc.oneof(
          nanLikeStrings,
          maliciousStrings,
          unicodeStrings,
          fc.constantFrom('2025-03-31', '2025-04-02T09:00:00Z', 'programme,country', 'GBP', 'true', '1', '0', '-1'),
        ),
        raw: fc.constantFrom('', '', '', '', '%', '%zz', '%00', '&&', '=', '#x'),
      });
    const query = fc
      .constantFrom(...reads)
      .chain((route) => fc.record({ route: fc.constant(route), pairs: fc.array(pair(route), { minLength: 1, maxLength: 6 }) }));

    await fc.assert(
      fc.asyncProperty(query, async ({ route, pairs }) => {
        // minPosition is always unreachable garbage here: a reachable-looking one would wait its documented 5 s and answer 503.
        const text = pairs
          .map(({ key, value, raw }) => `${encode(key)}=${encode(key === 'minPosition' ? `x${value}` : value)}${raw}`)
          .join('&');
        const path = `${pathOf(route)}?${text}`;
        const reply = await send(agent, ledger.baseUrl, { method: 'GET', path, headers: admin, timeoutMs: HANG_MS });
        expectNoFault(reply, 'GET', `GET ${path}`);
      }),
      { seed: SEED, numRuns: RUNS.queries },
    );
    await expectJournalUnchanged();
  });

  it('refuses a garbage Authorization header on every route but the public ones with 401', { timeout: 60_000 }, async () => {
    const { routes, ledger, agent, expectJournalUnchanged } = await fuzzedLedger();

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), garbageAuthorization, async (route, authorization) => {
        const template = TEMPLATES[nameOf(route)];
        const reply = await send(agent, ledger.baseUrl, {
          method: route.method,
          path: pathOf(route, template?.params),
          headers: { authorization: onTheWire(authorization) },
          ...(route.method === 'POST' && { body: template?.body ?? {} }),
          timeoutMs: HANG_MS,
        });
        const what = `${nameOf(route)} with Authorization: ${onTheWire(authorization).slice(0, 200)}`;
        if (route.scope === 'public') {
          expectNoFault(reply, route.method, what);
          expect(reply.status, what).not.toBe(401);
        } else {
          expectProblem(reply, route.method, what);
          expect(reply.status, what).toBe(401);
        }
      }),
      { seed: SEED, numRuns: RUNS.authorization },
    );
    await expectJournalUnchanged();
  });

  it(
    'refuses garbage If-Match, Idempotency-Key and other headers on writes, and shrugs them off on reads',
    { timeout: 60_000 },
    async () => {
      const { routes, ledger, agent, admin, expectJournalUnchanged } = await fuzzedLedger();
      const known = routes.filter((route) => route.method !== 'POST' || TEMPLATES[nameOf(route)] !== undefined);
      const headerName = fc.oneof(
        fc.constantFrom(
          'If-Match',
          'Idempotency-Key',
          'X-Correlation-ID',
          'If-None-Match',
          'X-Request-Id',
          'Accept',
          'Accept-Encoding',
          'Accept-Language',
        ),
        fc.constantFrom('Range', 'Origin', 'X-Forwarded-For', 'X-HTTP-Method-Override', 'Content-Encoding', 'Cookie', 'Forwarded', 'TE'),
        fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,39}$/),
      );
      const headers = fc.array(fc.tuple(headerName, garbageHeaderValues), { minLength: 1, maxLength: 4 });

      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...known), headers, async (route, pairs) => {
          const template = TEMPLATES[nameOf(route)];
          const sent = Object.fromEntries(pairs.map(([name, value]) => [name.toLowerCase(), onTheWire(value)]));
          const reply = await send(agent, ledger.baseUrl, {
            method: route.method,
            path: pathOf(route, template?.params),
            headers: { ...sent, ...admin, ...(template && { 'content-type': 'application/json' }) },
            ...(template && { body: template.body }),
            timeoutMs: HANG_MS,
          });
          const what = `${nameOf(route)} with ${JSON.stringify(sent).slice(0, 400)}`;
          if (template) expectProblem(reply, route.method, what);
          else expectNoFault(reply, route.method, what);
        }),
        { seed: SEED, numRuns: RUNS.headers },
      );
      await expectJournalUnchanged();
    },
  );

  it('refuses a write whose Content-Type is not JSON, or JSON it does not take, with a 4xx problem', { timeout: 60_000 }, async () => {
    const { routes, ledger, agent, admin, expectJournalUnchanged } = await fuzzedLedger();
    const writes = routes.filter((route) => TEMPLATES[nameOf(route)] !== undefined);

    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), contentTypes, fc.boolean(), async (route, contentType, asForm) => {
        const template = TEMPLATES[nameOf(route)] as Template;
        const body = asForm
          ? new URLSearchParams(Object.entries(template.body).map(([key, value]): [string, string] => [key, String(value)])).toString()
          : JSON.stringify(template.body);
        const reply = await send(agent, ledger.baseUrl, {
          method: 'POST',
          path: pathOf(route, template.params),
          headers: { ...admin, 'content-type': contentType },
          body,
          timeoutMs: HANG_MS,
        });
        expectProblem(reply, 'POST', `${nameOf(route)} as ${contentType}: ${body.slice(0, 200)}`);
      }),
      { seed: SEED, numRuns: RUNS.contentTypes },
    );
    await expectJournalUnchanged();
    console.info(`fuzz: ${cases} cases (seed ${SEED}), answers ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
  });
});
