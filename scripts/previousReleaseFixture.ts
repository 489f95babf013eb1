// Writes test/fixtures/previous-release: a small ledger written by this release and the answers of every read over it.
//
//   npx tsx scripts/previousReleaseFixture.ts
//
// The next release (issue 20: re-announcements, commitments, disbursements, event schema version 2 with upcasters) must
// open a ledger this release wrote and answer every existing query over it exactly as this release does;
// test/compat/previousRelease.int.test.ts starts the ledger on a copy of the store and compares each answer byte for byte.
//
// What it does:
// 1. Starts the real service (startLedger, app.inject) on an empty temp directory with a clock the script moves, and
//    writes through the API what the ledger holds: the two programmes and two announcements of the real data set
//    (/work/shared/data, copied into test/fixtures/announcements.json), and made-up ones that each differ from them in
//    one way (EUR, a funder other than GB, allocations, no country, other years and fiscal years); amendments of the
//    amount, the allocations, the country, the programme, the stated equivalent; withdrawals; a programme renamed;
//    exchange rates used directly and through their inverse, and one corrected by a later record for the same date.
// 2. Closes it (the embedded store checkpoints its WAL and removes it on close) and copies events.sqlite and the
//    ledger's signing key (audit/signing.key, made for this fixture only and signing nothing else) into the fixture.
//    With the key the signed checkpoints and the audit export are deterministic too (Ed25519 signs deterministically).
// 3. Starts a fresh ledger on a copy of those two files, as the test does, and records every read: status, the headers
//    the test compares (COMPARED_HEADERS) and the body, under answers/, listed in answers.json.
//
// Left out, because they depend on time or on random keys rather than on the ledger: the admin key (the test's ledger
// makes its own), GET /health/*, /metrics, /exports/schedules (none configured), /totals/stream (a live stream); the
// replay's eventsPerSecond and seconds are recorded but masked (volatileNumbers in answers.json).
//
// Run it only on the release the fixture stands for: event ids, key ids and request ids in the store are random, so a
// second run writes another store with other answers. Once the next release is under way, never regenerate it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import fixtures from '../test/fixtures/announcements.json' with { type: 'json' };
import { loadConfig } from '../src/config.js';
import { startLedger, type Ledger } from '../src/ledger.js';
import { adminKeyPath } from '../src/auth/keys.js';
import {
  COMPARED_HEADERS,
  FIXTURE_ENV,
  maskVolatile,
  PREVIOUS_RELEASE_DIR,
  SIGNING_KEY_FILE,
  STORE_FILE,
  type RecordedAnswer,
  type RecordedAnswers,
} from '../test/compat/recordedAnswers.js';

type Body = Record<string, unknown>;

async function open(dataDir: string, now?: () => string): Promise<{ ledger: Ledger; key: string }> {
  const config = loadConfig({ ...FIXTURE_ENV, LOG_LEVEL: 'silent', DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0' });
  const ledger = await startLedger(config, pino({ level: 'silent' }), now === undefined ? {} : { now });
  return { ledger, key: readFileSync(adminKeyPath(dataDir), 'utf8').trim() };
}

// ---- 1. Writing the ledger ----

/** Every write is a minute after the previous one, from 09:00 UTC on the day after the real announcements. */
let clock = Date.parse('2025-04-01T09:00:00.000Z');
const now = (): string => new Date(clock).toISOString();

const writeDir = mkdtempSync(join(tmpdir(), 'previous-release-write-'));
const writer = await open(writeDir, now);

async function write(path: string, body: Body, headers: Record<string, string> = {}): Promise<Body> {
  clock += 60_000;
  const reply = await writer.ledger.app.inject({
    method: 'POST',
    url: path,
    headers: { authorization: `Bearer ${writer.key}`, 'content-type': 'application/json', ...headers },
    payload: JSON.stringify(body),
  });
  if (reply.statusCode !== 200 && reply.statusCode !== 201) throw new Error(`POST ${path}: ${reply.statusCode} ${reply.body}`);
  return reply.json<Body>();
}

const announce = async (body: Body): Promise<string> => String((await write('/announcements', body)).id);
const amend = (id: string, changes: Body, reason: string, headers?: Record<string, string>) =>
  write(`/announcements/${id}/amendments`, { changes, reason }, headers);
const withdraw = (id: string, reason: string) => write(`/announcements/${id}/withdrawal`, { reason });
const rate = (base: string, quote: string, value: string, effectiveOn: string, source: string, headers?: Record<string, string>) =>
  write('/exchange-rates', { base, quote, rate: value, effectiveOn, source }, headers);
const gbp = (value: string) => ({ currency: 'GBP', value });
const eur = (value: string) => ({ currency: 'EUR', value });

const [supplyChains, prosecutions] = fixtures.programmes as unknown as [Body, Body];
const [thirtyMillion, threeMillion] = fixtures.announcements as unknown as [Body, Body];

for (const programme of [supplyChains, prosecutions]) await write('/programmes', programme);
await write('/programmes', {
  code: 'wb-border-technology',
  name: 'Western Balkans border technology',
  description: 'Made up for this fixture: drones and cameras for border police, amounts not published in reality.',
});

// Positions and instants the as-of queries ask about, taken as the story goes.
const moments: Record<string, string> = {};
const mark = (name: string, position: unknown): void => {
  moments[`${name}Position`] = String(position);
  moments[`${name}Instant`] = now();
};

const ids = {
  thirty: await announce({ ...thirtyMillion, source: { url: 'https://www.gov.uk/government/news', publishedOn: '2025-04-02' } }),
  three: await announce(threeMillion),
  balkans: await announce({
    funder: 'GB',
    programme: 'oic-supply-chains',
    title: 'Western Balkans border technology (made up)',
    announcedOn: '2025-04-17',
    amount: gbp('2000000.00'),
    allocations: [
      { country: 'RS', value: '1500000.00' },
      { country: 'XK', value: '500000.00' },
    ],
    tags: ['western-balkans'],
  }),
  german: await announce({
    funder: 'DE',
    programme: 'oic-supply-chains',
    title: 'German contribution (made up)',
    announcedOn: '2025-10-22',
    amount: eur('5000000.00'),
    country: 'RS',
  }),
  earlier: await announce({
    funder: 'GB',
    programme: 'cps-smuggling-prosecutions',
    title: 'Earlier CPS funding (made up)',
    announcedOn: '2024-11-05',
    amount: gbp('1000000.00'),
    country: 'GB',
  }),
  austrian: await announce({
    funder: 'AT',
    programme: 'wb-border-technology',
    title: 'Austrian border cameras (made up), split three ways',
    announcedOn: '2026-01-15',
    amount: eur('2400000.00'),
    allocations: [
      { country: 'MK', value: '800000.00' },
      { country: 'BA', value: '800000.00' },
      { country: 'XK', value: '800000.00' },
    ],
    statedEquivalent: gbp('2000000.00'),
  }),
  unallocatedEuros: await announce({
    funder: 'DE',
    programme: 'wb-border-technology',
    title: 'Pledge without a split yet (made up)',
    announcedOn: '2025-04-01',
    amount: eur('750000.50'),
  }),
  beforeAnyRate: await announce({
    funder: 'GB',
    programme: 'oic-supply-chains',
    title: 'Spring 2024 pilot (made up): no rate covers its date',
    announcedOn: '2024-03-31',
    amount: gbp('123456.78'),
    country: 'RS',
  }),
  lastDayOfTheFiscalYear: await announce({
    funder: 'IT',
    programme: 'oic-supply-chains',
    title: 'Italian contribution (made up) on the last day of fiscal year 2024-25',
    announcedOn: '2025-03-31',
    amount: eur('1000000.01'),
    allocations: [
      { country: 'AL', value: '600000.00' },
      { country: 'RS', value: '400000.01' },
    ],
    source: { url: 'https://example.org/press/2025-03-31', publisher: 'Made-up ministry', publishedOn: '2025-03-31' },
    tags: ['western-balkans', 'summit-london-2025'],
  }),
  // With an Idempotency-Key and no id: the id is derived from the key, and the event carries the key and request digest.
  stillUnconverted: String(
    (
      await write(
        '/announcements',
        {
          funder: 'NL',
          programme: 'wb-border-technology',
          title: 'Dutch grant of 2023 (made up): no rate ever covers its date',
          announcedOn: '2023-12-12',
          amount: eur('300000.00'),
          country: 'XK',
        },
        { 'idempotency-key': 'dutch-grant-2023' },
      )
    ).id,
  ),
};
mark('announced', (await rate('GBP', 'EUR', '1.1876', '2025-03-31', 'made up for the fixture')).position);

// The rates: GBP->EUR from 2024-04-01 and 2025-03-31 (the latter corrected), and EUR->GBP from 2025-10-01, which
// takes over from the inverse of GBP->EUR for euro announcements on or after it.
await rate('GBP', 'EUR', '1.1650', '2024-04-01', 'made up for the fixture');
await rate('EUR', 'GBP', '0.8420', '2025-10-01', 'made up for the fixture');
mark('rated', (await rate('GBP', 'EUR', '1.1880', '2025-03-31', 'made up for the fixture: corrects 1.1876')).position);

await amend(
  ids.thirty,
  {
    allocations: [
      { country: 'RS', value: '20000000.00' },
      { country: 'XK', value: '10000000.00' },
    ],
  },
  'split at the summit',
);
await amend(ids.three, { amount: gbp('3500000.00'), statedEquivalent: null }, 'the release says £3.5m', { 'if-match': '"0"' });
await amend(ids.balkans, { programme: 'wb-border-technology' }, 'belongs to the border technology programme');
await amend(ids.german, { country: 'MK', announcedOn: '2025-11-03' }, 'North Macedonia, announced at the November meeting');
await amend(ids.unallocatedEuros, { country: 'AL', tags: ['pledge'] }, 'Albania named later');
await amend(ids.lastDayOfTheFiscalYear, { funder: 'FR' }, 'the release was French, not Italian');
await amend(ids.german, { amount: eur('5500000.00') }, 'topped up');
await rate('EUR', 'GBP', '0.8425', '2025-10-01', 'made up for the fixture: corrects 0.8420', { 'idempotency-key': 'eur-gbp-fix' });
await amend(ids.thirty, { source: null }, 'the link was to a listing, not the release');
mark('amended', (await amend(ids.austrian, { amount: eur('2700000.00'), allocations: null, country: 'BA' }, 'all to Bosnia')).position);

await withdraw(ids.earlier, 'announced in error');
await amend(ids.beforeAnyRate, { title: 'Spring 2024 pilot (made up)' }, 'title shortened');
await withdraw(ids.beforeAnyRate, 'never funded');
await write(`/programmes/wb-border-technology/rename`, {
  name: 'Western Balkans border technology and surveillance',
  reason: 'the programme now covers surveillance too',
});
mark('last', (await amend(ids.three, { tags: ['organised-immigration-crime'] }, 'one tag')).position);

await writer.ledger.close();
mkdirSync(join(PREVIOUS_RELEASE_DIR, 'audit'), { recursive: true });
rmSync(join(PREVIOUS_RELEASE_DIR, 'answers'), { recursive: true, force: true });
for (const file of [STORE_FILE, SIGNING_KEY_FILE]) copyFileSync(join(writeDir, file), join(PREVIOUS_RELEASE_DIR, file));
rmSync(writeDir, { recursive: true, force: true });

// ---- 2. Recording the answers of a ledger started on the fixture ----

const readDir = mkdtempSync(join(tmpdir(), 'previous-release-read-'));
mkdirSync(join(readDir, 'audit'), { recursive: true, mode: 0o700 });
for (const file of [STORE_FILE, SIGNING_KEY_FILE]) copyFileSync(join(PREVIOUS_RELEASE_DIR, file), join(readDir, file));
const reader = await open(readDir);
const answers: RecordedAnswer[] = [];

async function record(
  name: string,
  path: string,
  options: { method?: 'GET' | 'HEAD' | 'POST'; headers?: Record<string, string>; volatileNumbers?: string[] } = {},
): Promise<string> {
  const method = options.method ?? 'GET';
  const reply = await reader.ledger.app.inject({
    method,
    url: path,
    headers: { authorization: `Bearer ${reader.key}`, ...options.headers },
  });
  if (reply.statusCode !== 200 && reply.statusCode !== 304) throw new Error(`${method} ${path}: ${reply.statusCode} ${reply.body}`);
  if (answers.some((answer) => answer.name === name)) throw new Error(`two answers named ${name}`);
  const contentType = String(reply.headers['content-type'] ?? '');
  const extension = contentType.startsWith('text/csv') ? 'csv' : contentType.startsWith('application/json') ? 'json' : 'txt';
  const file = `${String(answers.length + 1).padStart(3, '0')}-${name}.${extension}`;
  const responseHeaders: RecordedAnswer['responseHeaders'] = {};
  for (const header of COMPARED_HEADERS) if (reply.headers[header] !== undefined) responseHeaders[header] = String(reply.headers[header]);
  mkdirSync(join(PREVIOUS_RELEASE_DIR, 'answers'), { recursive: true });
  const body = options.volatileNumbers === undefined ? reply.rawPayload : maskVolatile(reply.body, options.volatileNumbers);
  writeFileSync(join(PREVIOUS_RELEASE_DIR, 'answers', file), body);
  answers.push({
    name,
    method,
    path,
    ...(options.headers !== undefined && { headers: options.headers }),
    status: reply.statusCode,
    responseHeaders,
    file,
    ...(options.volatileNumbers !== undefined && { volatileNumbers: options.volatileNumbers }),
  });
  return reply.body;
}

const GROUPINGS = ['', 'programme', 'country', 'year', 'fiscalYear', 'funder', 'currency', 'programme,country,year'];
const slug = (text: string): string => text.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'none';

for (const groupBy of GROUPINGS) {
  for (const currency of ['', 'EUR', 'GBP']) {
    const query = new URLSearchParams({ ...(groupBy && { groupBy }), ...(currency && { currency }) }).toString();
    await record(`totals-by-${slug(groupBy)}-in-${currency || 'original'}`, `/totals${query && `?${query}`}`);
  }
}
const FILTERS = [
  'programme=oic-supply-chains',
  'country=RS',
  'country=unallocated',
  'funder=DE',
  'yearFrom=2025&yearTo=2025',
  'yearTo=2024',
  'programme=wb-border-technology&country=BA',
];
for (const filter of FILTERS) {
  await record(`totals-where-${slug(filter)}`, `/totals?groupBy=programme,country&currency=EUR&${filter}`);
  await record(`totals-where-${slug(filter)}-by-year`, `/totals?groupBy=fiscalYear&${filter}`);
}
const MOMENTS = ['announced', 'rated', 'amended', 'last'].flatMap((name) => [`${name}Position`, `${name}Instant`]);
for (const moment of [...MOMENTS.map((name) => moments[name] ?? ''), '1', '2025-04-01T00:00:00.000Z']) {
  for (const query of ['groupBy=programme,country&currency=EUR', 'groupBy=year&currency=GBP', 'groupBy=funder&country=RS']) {
    await record(`totals-as-of-${slug(moment)}-${slug(query)}`, `/totals?${query}&asOf=${encodeURIComponent(moment)}`);
  }
}
const live = JSON.parse(await record('totals-for-etag', '/totals?groupBy=programme')) as { position: string };
await record('totals-not-modified', '/totals?groupBy=programme', { headers: { 'if-none-match': `"${live.position}"` } });

for (const code of ['oic-supply-chains', 'cps-smuggling-prosecutions', 'wb-border-technology']) {
  await record(`programme-totals-${code}`, `/programmes/${code}/totals?groupBy=country,year&currency=EUR`);
  await record(`programme-totals-${code}-as-of`, `/programmes/${code}/totals?groupBy=country&asOf=${moments.amendedPosition ?? ''}`);
}
for (const code of ['RS', 'GB', 'BA', 'XK', 'unallocated']) {
  await record(`country-totals-${code}`, `/countries/${code}/totals?groupBy=programme,funder&currency=GBP`);
}
await record('country-totals-RS-filtered', `/countries/RS/totals?programme=oic-supply-chains&yearFrom=2025`);

await record('announcements', '/announcements');
const firstPage = JSON.parse(await record('announcements-page-1', '/announcements?limit=3')) as { nextCursor: string | null };
await record('announcements-page-2', `/announcements?limit=3&cursor=${firstPage.nextCursor ?? ''}`);
for (const filter of [
  'programme=wb-border-technology',
  'country=RS',
  'country=unallocated',
  'funder=DE',
  'status=withdrawn',
  'status=active',
  'announcedFrom=2025-04-01&announcedTo=2025-12-31',
]) {
  await record(`announcements-where-${slug(filter)}`, `/announcements?${filter}`);
}
for (const [name, id] of Object.entries(ids)) {
  await record(`announcement-${name}`, `/announcements/${id}`);
  await record(`announcement-${name}-history`, `/announcements/${id}/history`);
}

await record('programmes', '/programmes');
for (const code of ['oic-supply-chains', 'wb-border-technology']) await record(`programme-${code}`, `/programmes/${code}`);
await record('exchange-rates', '/exchange-rates');
await record('exchange-rates-from-EUR', '/exchange-rates?base=EUR');

await record('events', '/events');
const eventsPage = JSON.parse(await record('events-page-1', '/events?limit=10')) as { nextCursor: string | null };
await record('events-page-2', `/events?limit=10&after=${eventsPage.nextCursor ?? ''}`);
await record('events-of-one-stream', `/events?stream=${encodeURIComponent(`announcement-${ids.three}`)}`);
await record('events-of-one-type', '/events?type=AnnouncementAmended');
await record('events-by-actor', '/events?actor=admin&limit=5');
await record('events-between', `/events?from=${moments.announcedInstant ?? ''}&to=${moments.amendedInstant ?? ''}`);

for (const query of [
  '',
  'groupBy=programme,country,year&currency=EUR',
  'groupBy=fiscalYear,funder&currency=GBP&bom=true',
  `groupBy=country&asOf=${moments.ratedPosition ?? ''}`,
]) {
  await record(`totals-csv-${slug(query)}`, `/exports/totals.csv${query && `?${query}`}`);
}
await record('announcements-csv', '/exports/announcements.csv');
await record('announcements-csv-bom', '/exports/announcements.csv?bom=true');
await record('events-csv', '/exports/events.csv');
await record('events-csv-head', '/exports/events.csv', { method: 'HEAD' });

await record('audit-replay', '/audit/replay', { method: 'POST', volatileNumbers: ['eventsPerSecond', 'seconds'] });
await record('audit-export', '/audit/export');
await record('audit-checkpoint', '/audit/checkpoint');
await record('audit-checkpoint-at-10', '/audit/checkpoint?treeSize=10');
await record('audit-verifier-key', '/audit/verifier-key');
await record('audit-inclusion', '/audit/proofs/inclusion?leafIndex=7&treeSize=20');
await record('audit-consistency', '/audit/proofs/consistency?from=10&to=20');
await record('audit-consistency-to-now', '/audit/proofs/consistency?from=5');

await reader.ledger.close();
rmSync(readDir, { recursive: true, force: true });

const recordedBy = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const manifest: RecordedAnswers = { recordedBy, answers };
writeFileSync(join(PREVIOUS_RELEASE_DIR, 'answers.json'), `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(`wrote ${answers.length} answers and ${STORE_FILE} under ${dirname(join(PREVIOUS_RELEASE_DIR, 'x'))}\n`);
