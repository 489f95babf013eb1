// The dashboard in a real browser: Debian's Chromium, driven by playwright-core, against the real service holding the example data.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildWeb } from '../../scripts/buildWeb.js';
import { clientOf, expectStatus, request, startTestLedger, type Client, type TestLedger } from '../support/ledger.js';

// An empty CHROMIUM_PATH (CI found none) falls back too, and then fails with the message below.
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** As this machine's probe starts it: no sandbox (root), no GPU, and nothing that phones home. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OUTPUT = new URL('../../test-output/', import.meta.url);
const README_SCREENSHOT = new URL('../../docs/dashboard.png', import.meta.url);

interface Examples {
  programmes: Record<string, unknown>[];
  announcements: Record<string, unknown>[];
}
const examples = JSON.parse(readFileSync(new URL('../../examples/announcements.json', import.meta.url), 'utf8')) as Examples;

/** Not a real announcement: made up for this test, in euros and dated before the only rate, so it stays unconverted to GBP. */
const TEST_ANNOUNCEMENT = {
  funder: 'DE',
  programme: 'oic-supply-chains',
  title: 'Test announcement posted by the end-to-end test (not real)',
  announcedOn: '2024-11-05',
  amount: { value: '2500000.00', currency: 'EUR' },
  allocations: [
    { country: 'RS', value: '1500000.00' },
    { country: 'MK', value: '1000000.00' },
  ],
};

let browser: Browser;

/** expect.poll with room for a loaded machine: the whole suite runs beside these tests. */
function poll<T>(read: () => T | Promise<T>) {
  return expect.poll(read, { timeout: 10_000 });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: the dashboard's end-to-end tests need it. ` +
        'Install it with `apt-get install -y chromium` (.ci/run does), or set CHROMIUM_PATH.',
    );
  }
  // The page under test is built from web/ now, so the test never runs against a stale bundle.
  await buildWeb();
  mkdirSync(OUTPUT, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close();
});

// ---- The ledger and the page ----

interface Scene {
  readonly ledger: TestLedger;
  readonly api: Client;
  readonly page: Page;
  /** Console errors, uncaught exceptions and CSP violations seen by the page. */
  readonly errors: string[];
  /** Every URL the page asked for. */
  readonly requests: string[];
}

/** The example programmes and announcements, and a GBP->EUR rate (1.1876 from 2025-03-31) so conversion has something to use. */
async function aLedgerWithTheExamples(): Promise<{ ledger: TestLedger; api: Client }> {
  const ledger = await startTestLedger();
  const api = clientOf(ledger);
  for (const programme of examples.programmes) expectStatus(await api.post('/programmes', programme), 201);
  for (const announcement of examples.announcements) expectStatus(await api.post('/announcements', announcement), 201);
  expectStatus(
    await api.post('/exchange-rates', {
      base: 'GBP',
      quote: 'EUR',
      rate: '1.1876',
      effectiveOn: '2025-03-31',
      source: 'rate used by the end-to-end test',
    }),
    201,
  );
  return { ledger, api };
}

async function openDashboard(viewport = { width: 1280, height: 900 }): Promise<Scene & { context: BrowserContext }> {
  const { ledger, api } = await aLedgerWithTheExamples();
  const context = await browser.newContext({ viewport, acceptDownloads: true, locale: 'en-GB', timezoneId: 'Europe/London' });
  // Registered after the ledger's own teardown, so it runs first: the page lets go of its stream before the service closes.
  onTestFinished(() => context.close());
  const page = await context.newPage();
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`${ledger.baseUrl}/`);
  return { ledger, api, page, errors, requests, context };
}

/** Enters the admin key in the form the page shows after its first 401, from the keyboard. */
async function enterKey(scene: Scene): Promise<void> {
  const input = scene.page.getByLabel('Read key', { exact: true });
  await input.waitFor();
  await poll(() => scene.page.evaluate('document.activeElement?.id')).toBe('key-input');
  await scene.page.keyboard.type(scene.ledger.adminKey);
  await scene.page.keyboard.press('Enter');
  await shows(scene, await scene.ledger.storeHead());
  // Chromium logs the one refused request that brought up the form; that one was expected.
  const refused = scene.errors.filter((error) => error.includes('status of 401'));
  expect(refused).toHaveLength(1);
  scene.errors.splice(0, scene.errors.length, ...scene.errors.filter((error) => !refused.includes(error)));
}

/** Waits until the page reflects this position. */
async function shows(scene: Scene, position: string): Promise<void> {
  await scene.page.waitForSelector(`body[data-position="${position}"]`, { state: 'attached', timeout: 10_000 });
}

/** Waits until the page shows the totals as of this past position, and marks the view as past. */
async function showsAsOf(scene: Scene, position: string): Promise<void> {
  await scene.page.waitForSelector(`body[data-view="historical"][data-as-of="${position}"][data-position="${position}"]`, {
    state: 'attached',
    timeout: 10_000,
  });
  expect(await scene.page.isVisible('#as-of-banner')).toBe(true);
}

/** The live view at this position: no past moment in the page or its address, the slider at its end, the announcements listed. */
async function expectLive(scene: Scene, position: string, search: string): Promise<void> {
  await scene.page.waitForSelector(`body[data-view="live"][data-position="${position}"]`, { state: 'attached', timeout: 10_000 });
  expect(await scene.page.getAttribute('body', 'data-as-of')).toBeNull();
  expect(new URL(scene.page.url()).search).toBe(search);
  const slider = scene.page.getByLabel('Totals as of', { exact: true });
  expect(await slider.inputValue()).toBe(position);
  expect(await slider.getAttribute('aria-valuetext')).toBe(`Live: the latest position, ${position}`);
  expect(await scene.page.isVisible('#as-of-banner')).toBe(false);
  expect(await scene.page.isVisible('#back-to-live')).toBe(false);
  await poll(() => scene.page.isVisible('#announcements')).toBe(true);
  expect(await scene.page.isVisible('#announcements-as-of')).toBe(false);
}

async function dashboard(viewport?: { width: number; height: number }): Promise<Scene> {
  const scene = await openDashboard(viewport);
  await enterKey(scene);
  return scene;
}

/** An object expression evaluated in the page (as text: this project's types do not include the DOM). */
async function evaluateJson(page: Page, expression: string): Promise<Record<string, unknown>> {
  return JSON.parse(await page.evaluate<string>(`JSON.stringify(${expression})`)) as Record<string, unknown>;
}

/** Nothing went wrong in the page (a CSP refusal is a console error), and it asked nothing of any other host. */
function expectAQuietPage(scene: Scene): void {
  expect(scene.errors, 'console errors').toEqual([]);
  expect(
    scene.requests.filter((url) => !url.startsWith(scene.ledger.baseUrl) && !url.startsWith('blob:') && !url.startsWith('data:')),
  ).toEqual([]);
}

// ---- Figures: what the page shows, what the API answers ----

interface ShownFigures {
  key: string;
  count: number;
  amounts?: { currency: string; value: string }[];
  converted?: { currency: string; value: string } | null;
  unconverted?: string[];
}

/** The figures of one chart, from its table's data attributes: the exact strings the bars are drawn from. */
async function chartFigures(page: Page, grouping: string): Promise<ShownFigures[]> {
  return page.locator(`#chart-${grouping} table tbody tr`).evaluateAll((rows) =>
    rows.map((row) => {
      const converted = row.querySelector('td[data-converted]');
      const unconverted = row.querySelector('td[data-unconverted]');
      return {
        key: row.getAttribute('data-key') ?? '',
        count: Number(row.querySelector('td[data-count]')?.getAttribute('data-count')),
        ...(converted === null
          ? {
              amounts: [...row.querySelectorAll('td[data-currency][data-value]')].map((cell) => ({
                currency: cell.getAttribute('data-currency') ?? '',
                value: cell.getAttribute('data-value') ?? '',
              })),
            }
          : {
              converted: converted.hasAttribute('data-value')
                ? { currency: converted.getAttribute('data-converted') ?? '', value: converted.getAttribute('data-value') ?? '' }
                : null,
              unconverted: (unconverted?.getAttribute('data-unconverted') ?? '').split(' ').filter((id: string) => id !== ''),
            }),
      };
    }),
  );
}

/** The same figures as GET /totals answers them. */
async function apiFigures(api: Client, grouping: string, query = ''): Promise<{ position: string; figures: ShownFigures[] }> {
  const reply = expectStatus(await api.get(`/totals?groupBy=${grouping}${query}`), 200);
  const converted = reply.json.currency !== null;
  const figures = (reply.json.rows as Record<string, unknown>[]).map((row) => ({
    key: String(row[grouping]),
    count: row.count as number,
    ...(converted
      ? { converted: (row.converted as { currency: string; value: string } | undefined) ?? null, unconverted: row.unconverted as string[] }
      : { amounts: row.amounts as { currency: string; value: string }[] }),
  }));
  return { position: reply.json.position as string, figures };
}

/** Every chart and the country x year table equal /totals for the same view. */
async function expectTheFiguresOfTheApi(scene: Scene, query = ''): Promise<void> {
  for (const grouping of ['programme', 'country', 'year']) {
    const expected = await apiFigures(scene.api, grouping, query);
    expect(await scene.page.getAttribute(`#chart-${grouping}`, 'data-position')).toBe(expected.position);
    expect(await chartFigures(scene.page, grouping), `the ${grouping} chart`).toEqual(expected.figures);
  }
  const cells = expectStatus(await scene.api.get(`/totals?groupBy=country,year${query}`), 200).json;
  for (const row of cells.rows as {
    country: string;
    year: number;
    amounts: { currency: string; value: string }[];
    converted?: { value: string };
  }[]) {
    const cell = scene.page.locator(`#country-year tr[data-country="${row.country}"] td[data-year="${row.year}"]`);
    if (cells.currency === null)
      expect(await cell.getAttribute('data-amounts')).toBe(row.amounts.map((m) => `${m.currency} ${m.value}`).join(' '));
    else expect(await cell.getAttribute('data-converted')).toBe(row.converted?.value ?? '');
  }
  expect(await scene.page.locator('#country-year tbody tr').count()).toBe(
    new Set((cells.rows as { country: string }[]).map((row) => row.country)).size,
  );
}

async function saveScreenshot(page: Page, name: string): Promise<string> {
  const path = new URL(name, OUTPUT);
  await page.screenshot({ path: path.pathname, fullPage: true });
  return path.pathname;
}

// ---- The tests ----

describe('the dashboard', () => {
  it('asks for a read key, keeps it in session storage only, then shows exactly the figures of /totals', async () => {
    const scene = await openDashboard();

    await poll(() => scene.page.isVisible('#key-panel')).toBe(true);
    expect(await scene.page.isVisible('#content')).toBe(false);
    await saveScreenshot(scene.page, 'dashboard-key.png');
    await enterKey(scene);

    const storage = await evaluateJson(
      scene.page,
      '{ session: sessionStorage.getItem("funding-ledger.read-key"), local: localStorage.length, url: location.href }',
    );
    expect(storage).toEqual({ session: scene.ledger.adminKey, local: 0, url: `${scene.ledger.baseUrl}/` });
    expect(await scene.page.getAttribute('#position', 'data-position')).toBe('5');
    await expectTheFiguresOfTheApi(scene);
    // The text alternative of a chart names its figures, formatted exactly.
    expect(await scene.page.getAttribute('#chart-programme canvas', 'aria-label')).toContain('£30,000,000.00');
    expect(await scene.page.textContent('#country-year td[data-year="all"][data-count="2"]')).toBe('£33,000,000.00');
    expectAQuietPage(scene);
  });

  it('shows the signed checkpoint and its verifier key before any key is entered, and the grown tree after a write', async () => {
    const scene = await openDashboard();
    const publicText = async (path: string) => expectStatus(await request(scene.ledger.baseUrl, 'GET', path), 200).text;
    const summary = scene.page.locator('#checkpoint-summary');

    await poll(() => scene.page.isVisible('#key-panel')).toBe(true);
    await poll(() => summary.getAttribute('data-tree-size')).toBe('5');
    const [, size, root] = (await publicText('/audit/checkpoint')).split('\n') as [string, string, string];
    expect(size).toBe('5');
    expect(await summary.getAttribute('data-root-hash')).toBe(root);
    expect(await summary.textContent()).toContain(`over 5 events; root ${root.slice(0, 16)}…`);
    expect(await scene.page.textContent('#verifier-key')).toBe((await publicText('/audit/verifier-key')).trim());
    await enterKey(scene);
    const posted = expectStatus(await scene.api.post('/announcements', TEST_ANNOUNCEMENT), 201).json;
    await shows(scene, posted.position);

    await poll(() => summary.getAttribute('data-tree-size')).toBe('6');
    expect(await summary.getAttribute('data-root-hash')).toBe((await publicText('/audit/checkpoint')).split('\n')[2]);
    expectAQuietPage(scene);
  });

  it('refreshes by itself when an announcement is posted through the API, without reloading', async () => {
    const scene = await dashboard();
    await scene.page.evaluate('window.notReloaded = true');
    await poll(() => scene.page.getAttribute('#live', 'data-state')).toBe('live');

    const posted = expectStatus(await scene.api.post('/announcements', TEST_ANNOUNCEMENT), 201).json;
    await shows(scene, posted.position);

    expect(await scene.page.evaluate('window.notReloaded')).toBe(true);
    await expectTheFiguresOfTheApi(scene);
    expect(await chartFigures(scene.page, 'country')).toContainEqual({
      key: 'RS',
      count: 1,
      amounts: [{ currency: 'EUR', value: '1500000.00' }],
    });
    await poll(() => scene.page.locator(`#announcement-${posted.id as string} h3`).textContent()).toBe(TEST_ANNOUNCEMENT.title);

    const shot = await saveScreenshot(scene.page, 'dashboard.png');
    if (!existsSync(README_SCREENSHOT) || process.env.UPDATE_SCREENSHOTS === '1') copyFileSync(shot, README_SCREENSHOT);
    expectAQuietPage(scene);
  });

  it('converts to EUR and to GBP, and lists what has no rate instead of dropping it', async () => {
    const scene = await dashboard();
    const posted = expectStatus(await scene.api.post('/announcements', TEST_ANNOUNCEMENT), 201).json;
    await shows(scene, posted.position);

    await scene.page.getByLabel('EUR (€)').check();
    await scene.page.waitForSelector('body[data-currency="EUR"]', { state: 'attached' });
    await poll(() => scene.page.getAttribute('#chart-programme', 'data-currency')).toBe('EUR');
    await expectTheFiguresOfTheApi(scene, '&currency=EUR');
    // £30,000,000.00 at 1.1876 is €35,628,000.00; the euro announcement adds as it is.
    expect(await chartFigures(scene.page, 'programme')).toContainEqual({
      key: 'oic-supply-chains',
      count: 2,
      converted: { currency: 'EUR', value: '38128000.00' },
      unconverted: [],
    });
    expect(await scene.page.isVisible('#unconverted')).toBe(false);
    expect(new URL(scene.page.url()).search).toBe('?currency=EUR');

    await scene.page.getByLabel('GBP (£)').check();
    await poll(() => scene.page.getAttribute('#chart-programme', 'data-currency')).toBe('GBP');
    await expectTheFiguresOfTheApi(scene, '&currency=GBP');
    // The euro announcement predates the only rate: it is named, with its original amount, not guessed.
    await poll(() => scene.page.isVisible('#unconverted')).toBe(true);
    expect(await scene.page.getAttribute('#unconverted', 'data-unconverted')).toBe(posted.id);
    expect(await scene.page.textContent('#unconverted')).toContain('€2,500,000.00');
    expect(await scene.page.textContent('#unconverted')).toContain(TEST_ANNOUNCEMENT.title);
    expect(await scene.page.textContent(`#country-year tr[data-country="RS"] td[data-year="2024"]`)).toContain('*');
    await saveScreenshot(scene.page, 'dashboard-gbp.png');
    expectAQuietPage(scene);
  });

  it('counts re-announced money once with "New money only", and shows announced, committed and disbursed side by side', async () => {
    const scene = await dashboard();
    const listed = expectStatus(await scene.api.get('/announcements?programme=oic-supply-chains'), 200).json.items as {
      id: string;
      amount: { value: string };
    }[];
    const thirtyMillion = listed.find((item) => item.amount.value === '30000000.00');
    expect(thirtyMillion).toBeDefined();
    const earlier = thirtyMillion?.id ?? '';
    // Made up for this test: a later £12m of which £10m re-announces the £30m; then £5m committed and £2m paid out of the £30m.
    const later = expectStatus(
      await scene.api.post('/announcements', {
        funder: 'GB',
        programme: 'oic-supply-chains',
        title: 'Later announcement posted by the end-to-end test (not real)',
        announcedOn: '2025-06-02',
        amount: { value: '12000000.00', currency: 'GBP' },
        restates: [{ announcement: earlier, value: '10000000.00' }],
      }),
      201,
    ).json;
    expectStatus(await scene.api.post(`/announcements/${earlier}/commitments`, { value: '5000000.00', on: '2025-07-01' }), 201);
    const paid = expectStatus(
      await scene.api.post(`/announcements/${earlier}/disbursements`, { value: '2000000.00', on: '2025-09-15', country: 'RS' }),
      201,
    ).json;
    await shows(scene, paid.position);
    await expectTheFiguresOfTheApi(scene);
    expect(await scene.page.textContent('#grand-total')).toMatch(/^All together:/);

    await scene.page.getByLabel('New money only').check();
    await scene.page.waitForSelector('body[data-basis="new"]', { state: 'attached' });
    await poll(async () => (await chartFigures(scene.page, 'programme')).find((row) => row.key === 'oic-supply-chains')?.amounts).toEqual([
      { currency: 'GBP', value: '32000000.00' },
    ]);
    await expectTheFiguresOfTheApi(scene, '&basis=new');
    expect(await scene.page.textContent('#grand-total')).toMatch(/^New money only/);
    expect(new URL(scene.page.url()).search).toBe('?basis=new');

    const stage = (name: string) =>
      scene.page.getAttribute(`#stages tr[data-programme="oic-supply-chains"] td[data-stage="${name}"]`, 'data-amounts');
    expect(await stage('announced')).toBe('GBP 32000000.00');
    expect(await stage('committed')).toBe('GBP 5000000.00');
    expect(await stage('disbursed')).toBe('GBP 2000000.00');

    await scene.page.getByLabel('All announced money').check();
    await poll(() => stage('announced')).toBe('GBP 42000000.00');
    // The list of announcements reloads after the figures are drawn (web/src/main.ts refresh), so it is waited for.
    const earlierItem = scene.page.locator(`#announcement-${earlier}`);
    await poll(() => earlierItem.locator('.restated-by a').getAttribute('data-restated')).toBe(later.id);
    expect(await earlierItem.locator('.stages').textContent()).toContain('£5,000,000.00');
    expect(await scene.page.locator(`#announcement-${later.id} .restates a`).getAttribute('data-restated')).toBe(earlier);
    await saveScreenshot(scene.page, 'dashboard-new-money.png');
    expectAQuietPage(scene);
  });

  it('downloads the CSV of the table it shows, with the key, at the position it shows', async () => {
    const scene = await dashboard();
    await scene.page.getByLabel('EUR (€)').check();
    await poll(() => scene.page.getAttribute('#country-year', 'data-currency')).toBe('EUR');

    const [download] = await Promise.all([
      scene.page.waitForEvent('download'),
      scene.page.getByRole('link', { name: 'Download this table as CSV' }).click(),
    ]);
    const csv = readFileSync(await download.path(), 'utf8');

    expect(download.suggestedFilename()).toBe('totals-5.csv');
    const direct = expectStatus(await scene.api.get('/exports/totals.csv?groupBy=country,year&currency=EUR'), 200);
    expect(csv).toBe(direct.text);
    expect(csv.split('\r\n')[0]).toMatch(/^country,year,/);
    expect(csv).toContain('35628000.00');
    expectAQuietPage(scene);
  });

  it('filters by programme, country and years, and keeps the view in its address', async () => {
    const scene = await dashboard();
    const posted = expectStatus(await scene.api.post('/announcements', TEST_ANNOUNCEMENT), 201).json;
    await shows(scene, posted.position);

    await scene.page.getByLabel('Programme', { exact: true }).selectOption('oic-supply-chains');
    await poll(() => chartFigures(scene.page, 'programme').then((rows) => rows.map((row) => row.key))).toEqual(['oic-supply-chains']);
    await expectTheFiguresOfTheApi(scene, '&programme=oic-supply-chains');

    await scene.page.getByLabel('From year', { exact: true }).fill('2025');
    await scene.page.getByLabel('From year', { exact: true }).press('Tab');
    await poll(() => chartFigures(scene.page, 'year').then((rows) => rows.map((row) => row.key))).toEqual(['2025']);
    await expectTheFiguresOfTheApi(scene, '&programme=oic-supply-chains&yearFrom=2025');
    await poll(() => scene.page.locator('#announcements > li').count()).toBe(1);

    await scene.page.getByLabel('Country', { exact: true }).selectOption('RS');
    await poll(() => scene.page.textContent('#announcements-summary')).toBe('No announcement matches these filters.');
    // A refresh under way when the filter changed may list before the charts of the next are drawn.
    await poll(() => chartFigures(scene.page, 'programme')).toEqual([]);
    expect(new URL(scene.page.url()).search).toBe('?programme=oic-supply-chains&country=RS&yearFrom=2025');

    // The address alone brings the same view back.
    await scene.page.reload();
    await poll(() => scene.page.inputValue('#filter-country')).toBe('RS');
    expect(await scene.page.inputValue('#filter-year-from')).toBe('2025');
    await scene.page.getByRole('button', { name: 'Clear filters' }).click();
    await poll(() => chartFigures(scene.page, 'country').then((rows) => rows.length)).toBe(4);
    expectAQuietPage(scene);
  });

  it("shows each announcement's history: amendments and withdrawals, who and why", async () => {
    const scene = await dashboard();
    const list = expectStatus(await scene.api.get('/announcements'), 200).json.items as { id: string; title: string }[];
    const three = list.find((item) => item.title.startsWith('Additional £3 million'))!;
    const newsroom = scene.ledger.createKey('newsroom', ['read', 'write']);
    expectStatus(
      await scene.api.post(
        `/announcements/${three.id}/amendments`,
        { changes: { amount: { value: '3500000.00', currency: 'GBP' } }, reason: 'the release was corrected to £3.5m' },
        { key: newsroom },
      ),
      200,
    );
    const withdrawn = expectStatus(
      await scene.api.post(`/announcements/${three.id}/withdrawal`, { reason: 'announced twice; see the summit release' }),
      200,
    ).json;
    await shows(scene, withdrawn.position);

    // The list of announcements reloads after the figures at that position are drawn (web/src/main.ts refresh).
    const item = scene.page.locator(`#announcement-${three.id}`);
    await poll(() => item.getAttribute('data-status')).toBe('withdrawn');
    expect(await item.locator('.withdrawal').textContent()).toBe('Withdrawn: announced twice; see the summit release');
    const button = item.getByRole('button', { name: 'History (3 versions)' });
    await button.focus();
    await scene.page.keyboard.press('Enter');
    await poll(() => item.locator('.version').count()).toBe(3);

    expect(await button.getAttribute('aria-expanded')).toBe('true');
    const versions = await item
      .locator('.version')
      .evaluateAll((nodes) => nodes.map((node) => ({ event: node.getAttribute('data-event'), text: node.textContent })));
    expect(versions.map((version) => version.event)).toEqual(['FundingAnnounced', 'FundingAmended', 'FundingWithdrawn']);
    expect(versions[1]?.text).toContain('by newsroom');
    expect(versions[1]?.text).toContain('Why: the release was corrected to £3.5m');
    expect(versions[1]?.text).toContain('Changed: amount');
    expect(versions[2]?.text).toContain('by admin');
    expect(versions[2]?.text).toContain('Why: announced twice; see the summit release');
    await item.screenshot({ path: new URL('dashboard-history.png', OUTPUT).pathname });
    // A withdrawn announcement no longer counts.
    await expectTheFiguresOfTheApi(scene);
    expect(await chartFigures(scene.page, 'programme')).toEqual([
      { key: 'oic-supply-chains', count: 1, amounts: [{ currency: 'GBP', value: '30000000.00' }] },
    ]);

    await scene.page.keyboard.press('Enter');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expectAQuietPage(scene);
  });

  it('travels back with the time slider: each panel as /totals?asOf= answers, the moment in the address, and back to live', async () => {
    const scene = await dashboard();
    const posted = expectStatus(await scene.api.post('/announcements', TEST_ANNOUNCEMENT), 201).json;
    await shows(scene, posted.position);
    expect(posted.position).toBe('6');
    const slider = scene.page.getByLabel('Totals as of', { exact: true });
    await poll(() => slider.getAttribute('max')).toBe('6');
    expect(await slider.getAttribute('min')).toBe('1');
    expect(await slider.inputValue()).toBe('6');
    expect(await slider.getAttribute('aria-valuetext')).toBe('Live: the latest position, 6');
    expect(await scene.page.isVisible('#back-to-live')).toBe(false);

    // From the keyboard: one step left is one event back.
    await slider.focus();
    await scene.page.keyboard.press('ArrowLeft');
    await showsAsOf(scene, '5');
    await expectTheFiguresOfTheApi(scene, '&asOf=5');
    expect(new URL(scene.page.url()).search).toBe('?asOf=5');
    // The moment in words: its position, and the time its event was recorded (the journal's, for a key that may read it).
    const event = (
      expectStatus(await scene.api.get('/events?after=4&limit=1'), 200).json.items as { metadata: { recordedAt: string } }[]
    )[0];
    await poll(() => scene.page.getAttribute('#as-of-moment', 'data-recorded-at')).toBe(event?.metadata.recordedAt);
    expect(await slider.getAttribute('aria-valuetext')).toMatch(/^Position 5 of 6, recorded /);
    expect(await scene.page.textContent('#as-of-banner')).toMatch(
      /^Historical view: the totals as they stood right after position 5, recorded /,
    );
    expect(await scene.page.textContent('#position')).toMatch(/^Historical view: position 5/);
    // The list of announcements is of now: it says so instead of passing for the past.
    expect(await scene.page.isVisible('#announcements-as-of')).toBe(true);
    expect(await scene.page.isVisible('#announcements')).toBe(false);
    expect(await chartFigures(scene.page, 'country')).not.toContainEqual(expect.objectContaining({ key: 'RS' }));

    // A drag: many positions in a row. The first is asked at once, the last after a pause; those between never.
    await slider.evaluate((input: { value: string; dispatchEvent(event: unknown): boolean }) => {
      for (const value of ['4', '3', '2', '3']) {
        input.value = value;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }
    });
    await showsAsOf(scene, '3');
    await expectTheFiguresOfTheApi(scene, '&asOf=3');
    expect(scene.requests.filter((url) => /[?&]asOf=4(&|$)/.test(url)).length).toBeGreaterThan(0);
    expect(scene.requests.filter((url) => /[?&]asOf=2(&|$)/.test(url))).toEqual([]);
    expect(new URL(scene.page.url()).search).toBe('?asOf=3');

    // Another view of the same moment, and a write meanwhile: the view holds still, the slider's end moves on.
    await scene.page.getByLabel('EUR (€)').check();
    await poll(() => scene.page.getAttribute('#chart-programme', 'data-currency')).toBe('EUR');
    await expectTheFiguresOfTheApi(scene, '&currency=EUR&asOf=3');
    const later = expectStatus(
      await scene.api.post('/announcements', { ...TEST_ANNOUNCEMENT, title: 'A later test announcement (not real)' }),
      201,
    ).json;
    await poll(() => slider.getAttribute('max')).toBe(later.position);
    expect(await scene.page.getAttribute('body', 'data-as-of')).toBe('3');
    await expectTheFiguresOfTheApi(scene, '&currency=EUR&asOf=3');

    // The address alone brings the moment back.
    expect(new URL(scene.page.url()).search).toBe('?currency=EUR&asOf=3');
    await scene.page.reload();
    await showsAsOf(scene, '3');
    expect(await slider.inputValue()).toBe('3');
    await expectTheFiguresOfTheApi(scene, '&currency=EUR&asOf=3');
    // The downloads are of the moment shown.
    expect(await scene.page.getAttribute('#table-csv', 'href')).toBe('/exports/totals.csv?groupBy=country%2Cyear&currency=EUR&asOf=3');
    await saveScreenshot(scene.page, 'dashboard-as-of.png');

    // Home: the first event; then back to live with the button.
    await slider.focus();
    await scene.page.keyboard.press('Home');
    await showsAsOf(scene, '1');
    await expectTheFiguresOfTheApi(scene, '&currency=EUR&asOf=1');
    await scene.page.getByRole('button', { name: 'Back to live' }).click();
    await shows(scene, later.position);
    await expectLive(scene, later.position, '?currency=EUR');
    await expectTheFiguresOfTheApi(scene, '&currency=EUR');
    expect(await scene.page.evaluate('document.activeElement.id')).toBe('as-of');

    // Live again, it follows new events; End from a past moment is live too.
    const last = expectStatus(
      await scene.api.post('/announcements', { ...TEST_ANNOUNCEMENT, title: 'The last test announcement (not real)' }),
      201,
    ).json;
    await shows(scene, last.position);
    expect(await slider.inputValue()).toBe(last.position);
    await scene.page.keyboard.press('ArrowLeft');
    await showsAsOf(scene, later.position);
    await scene.page.keyboard.press('End');
    await expectLive(scene, last.position, '?currency=EUR');
    expectAQuietPage(scene);

    // A link to a moment this ledger has not reached: the live figures, saying why, and the address without it.
    await scene.page.goto(`${scene.ledger.baseUrl}/?asOf=99`);
    await expectLive(scene, last.position, '');
    expect(await scene.page.textContent('#alert')).toMatch(
      /^The moment in the address \(asOf=99\) cannot be shown: .*beyond the last event/,
    );
    expect(scene.errors.filter((error) => !error.includes('status of 400'))).toEqual([]);
  });

  it('is usable from the keyboard: a skip link first, a visible focus, a label on every control', async () => {
    const scene = await dashboard();

    // As a returning reader in the same tab: the key is remembered, the page starts at the top.
    await scene.page.reload();
    await shows(scene, '5');

    await scene.page.keyboard.press('Tab');
    expect(await scene.page.evaluate('document.activeElement.textContent')).toBe('Skip to the figures');
    await scene.page.keyboard.press('Enter');
    await scene.page.keyboard.press('Tab');
    const focused = await evaluateJson(
      scene.page,
      '{ id: document.activeElement.id, outline: getComputedStyle(document.activeElement).outlineStyle }',
    );
    expect(focused).toEqual({ id: 'filter-funder', outline: 'solid' });

    const unlabelled = await scene.page.locator('input, select, button, canvas, [role="region"]').evaluateAll((controls) =>
      controls
        .filter((control) => {
          const labels = (control as unknown as { labels?: ArrayLike<unknown> | null }).labels;
          const named =
            (labels !== undefined && labels !== null && labels.length > 0) ||
            control.hasAttribute('aria-label') ||
            control.hasAttribute('aria-labelledby');
          return !named && (control.tagName !== 'BUTTON' || (control.textContent ?? '').trim() === '');
        })
        .map((control) => control.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    expectAQuietPage(scene);
  });

  it('fits a narrow screen: one column, no sideways scrolling of the page', async () => {
    const scene = await dashboard({ width: 375, height: 740 });

    const widths = await evaluateJson(scene.page, '{ page: document.documentElement.scrollWidth, view: window.innerWidth }');
    expect(widths.page).toBeLessThanOrEqual(widths.view as number);
    const [programme, country] = await Promise.all([
      scene.page.locator('#chart-programme').boundingBox(),
      scene.page.locator('#chart-country').boundingBox(),
    ]);
    expect(country!.y).toBeGreaterThan(programme!.y + programme!.height - 1);
    await saveScreenshot(scene.page, 'dashboard-narrow.png');
    expectAQuietPage(scene);
  });
});
