// The dashboard: loads the totals for the chosen view (live, or as of a past moment), draws them, and refreshes whenever the ledger moves.
import { AnnouncementList } from './announcements.js';
import { ApiError, getJson } from './api.js';
import { BarChartCard, type Bar } from './charts.js';
import { showCheckpoint } from './checkpoint.js';
import { saveDownloadsWithKey } from './downloads.js';
import { renderCountryYearTable } from './countryYearTable.js';
import { renderStagesTable } from './stagesTable.js';
import { byId, el } from './dom.js';
import { countryName, describeFigures } from './format.js';
import { storedKey, storeKey } from './key.js';
import { showUnconverted } from './unconverted.js';
import type { Programme, Totals, TotalsRow } from './model.js';
import { Coalescer, LatestOnly } from './lastWins.js';
import { comparePositions, latestOf } from './position.js';
import { followPositions, type StreamStatus } from './positionStream.js';
import { searchOf, totalsParams, viewStateOf, type ViewState } from './query.js';
import { RecordedTimes, type JournalPage } from './recordedTimes.js';
import { TimeSlider } from './timeSlider.js';
import { markMoment } from './momentView.js';
import { GROUPINGS, loadFilterChoices, loadTotals, loadTotalsAsOf, type Grouping, type TotalsView } from './totals.js';

const content = byId('content');
const filters = byId<HTMLFormElement>('filters');
const alertBox = byId('alert');
const keyPanel = byId('key-panel');
const keyForm = byId<HTMLFormElement>('key-form');
const keyInput = byId<HTMLInputElement>('key-input');
const keyError = byId('key-error');
const forgetKey = byId<HTMLButtonElement>('forget-key');
const positionText = byId('position');

type Chart = Exclude<Grouping, 'countryYear' | 'programmeStage'>;
const charts: Record<Chart, BarChartCard> = {
  programme: new BarChartCard({ id: 'chart-programme', title: 'By programme', dimensionLabel: 'Programme', horizontal: true }),
  country: new BarChartCard({ id: 'chart-country', title: 'By country', dimensionLabel: 'Country', horizontal: true }),
  year: new BarChartCard({ id: 'chart-year', title: 'By year', dimensionLabel: 'Year', horizontal: false }),
};
byId('charts').append(charts.programme.element, charts.country.element, charts.year.element);

const announcements = new AnnouncementList(
  byId<HTMLOListElement>('announcements'),
  byId('announcements-summary'),
  byId<HTMLButtonElement>('more-announcements'),
);

let state: ViewState = viewStateOf(location.search);
let programmes = new Map<string, string>();
let shown: TotalsView | undefined;
/** The latest position known (from live totals or the stream), and the first event's: the slider spans them. */
let head = '0';
let first = '1';
/** Every totals load, live or past, goes through here: the one started last is the one shown. */
const views = new LatestOnly();
const times = new RecordedTimes(
  (params, signal) => getJson<JournalPage>('/events', params, signal),
  (error) => error instanceof ApiError && (error.status === 401 || error.status === 403),
);

// ---- Messages and the key ----

function showAlert(message: string | undefined): void {
  alertBox.hidden = message === undefined;
  alertBox.textContent = message ?? '';
}

function askForKey(refused: boolean): void {
  stopStream();
  content.hidden = true;
  keyPanel.hidden = false;
  keyError.hidden = !refused;
  keyError.textContent = refused ? 'That key was not accepted. Check it and try again.' : '';
  keyInput.setAttribute('aria-invalid', String(refused));
  forgetKey.hidden = storedKey() === undefined;
  positionText.textContent = 'Waiting for a read key';
  keyInput.focus();
}

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (key === '') {
    keyError.hidden = false;
    keyError.textContent = 'Enter a key.';
    keyInput.setAttribute('aria-invalid', 'true');
    keyInput.focus();
    return;
  }
  storeKey(key);
  times.forgetRefusal();
  keyInput.value = '';
  keyPanel.hidden = true;
  void refresh().then(() => byId('main').focus());
});

forgetKey.addEventListener('click', () => {
  storeKey(undefined);
  forgetKey.hidden = true;
  stopStream();
  void refresh();
});

function handleFailure(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) return askForKey(storedKey() !== undefined);
  if (error instanceof ApiError && error.status === 403) {
    showAlert('This key cannot read the ledger: it needs the "read" scope. Use "Forget key" to enter another.');
    forgetKey.hidden = false;
    return;
  }
  showAlert(`The figures could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
}

// ---- Filters ----

function fillSelect(select: HTMLSelectElement, choices: readonly { value: string; label: string }[], selected: string | undefined): void {
  const first = select.options[0];
  select.replaceChildren(
    ...(first === undefined ? [] : [first]),
    ...choices.map((choice) => el('option', { value: choice.value }, choice.label)),
  );
  select.value = selected ?? '';
}

function showState(): void {
  const field = (name: string) => filters.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
  field('funder').value = state.funder ?? '';
  field('programme').value = state.programme ?? '';
  field('country').value = state.country ?? '';
  field('yearFrom').value = state.yearFrom === undefined ? '' : String(state.yearFrom);
  field('yearTo').value = state.yearTo === undefined ? '' : String(state.yearTo);
  for (const radio of filters.querySelectorAll<HTMLInputElement>('input[name="currency"]')) radio.checked = radio.value === state.currency;
  for (const radio of filters.querySelectorAll<HTMLInputElement>('input[name="basis"]')) radio.checked = radio.value === state.basis;
}

/** The form's choices; the moment is not in the form, so it stays as it was. */
function readState(): ViewState {
  const data = new FormData(filters);
  const params = new URLSearchParams();
  for (const [name, value] of data) if (typeof value === 'string' && value !== '') params.set(name, value);
  return { ...viewStateOf(params.toString()), asOf: state.asOf };
}

function keepInAddress(): void {
  history.replaceState(null, '', `${location.pathname}${searchOf(state)}`);
}

filters.addEventListener('change', () => {
  state = readState();
  keepInAddress();
  void refresh();
});
filters.addEventListener('submit', (event) => event.preventDefault());
byId('clear-filters').addEventListener('click', () => {
  state = { currency: state.currency, basis: state.basis, asOf: state.asOf };
  showState();
  keepInAddress();
  void refresh();
});

// ---- The time slider ----

/** Past moments asked while the slider moves: the first at once, then the latest once the one before is shown (150 ms apart at least). */
const moves = new Coalescer<string>((asOf) => showMoment(asOf));
const slider = new TimeSlider(
  {
    input: byId<HTMLInputElement>('as-of'),
    moment: byId<HTMLOutputElement>('as-of-moment'),
    backToLive: byId<HTMLButtonElement>('back-to-live'),
  },
  (asOf) => {
    state = { ...state, asOf };
    keepInAddress();
    if (asOf !== undefined) return moves.push(asOf);
    moves.cancel();
    void refresh();
  },
);

let firstFound = false;

/** The slider's start: the first event's position, from the journal when the key may read it (on the embedded store it is 1). */
async function findFirstEvent(): Promise<void> {
  if (firstFound) return;
  const position = await times.first();
  if (position === undefined) return;
  firstFound = true;
  first = position;
  slider.setSpan(first, head);
}

function headMoved(position: string): void {
  head = latestOf([head, position]);
  slider.setSpan(first, head);
}

/** The figures as of a past moment; a later move (or a refresh) started meanwhile wins, and this one's answer is dropped. */
async function showMoment(asOf: string): Promise<void> {
  content.setAttribute('aria-busy', 'true');
  try {
    const view = await views.run((signal) => loadTotalsAsOf(state, asOf, signal));
    // Undefined: superseded, and the load that superseded it clears the busy mark.
    if (view === undefined) return;
    await show(view);
  } catch (error) {
    handleFailure(error);
  }
  content.removeAttribute('aria-busy');
}

/** The view drawn, then (for a past one) the time its event was recorded, when the key may read the journal. */
async function show(view: TotalsView): Promise<void> {
  shown = view;
  await render(view);
  if (view.asOf === undefined) return;
  const recordedAt = await times.at(view.position).catch(() => undefined);
  if (shown !== view) return;
  if (view.asOf === state.asOf) slider.show({ live: false, position: view.position, ...(recordedAt !== undefined && { recordedAt }) });
  markMoment(view.position, head, recordedAt);
}

// ---- Rendering ----

function barsOf(totals: Totals, grouping: Chart): Bar[] {
  return totals.rows.map((row: TotalsRow) => {
    const key = String(row[grouping] ?? '');
    const label = grouping === 'programme' ? (programmes.get(key) ?? key) : grouping === 'country' ? countryName(key) : key;
    return { key, label, figures: row };
  });
}

function csvHref(groupBy: string, position: string): string {
  return `/exports/totals.csv?${totalsParams(state, groupBy, { asOf: position }).toString()}`;
}

async function render(view: TotalsView): Promise<void> {
  const { totals, position } = view;
  for (const grouping of ['programme', 'country', 'year'] as const) {
    charts[grouping].render(barsOf(totals[grouping], grouping), totals[grouping].currency, totals[grouping].position);
    charts[grouping].csvLink.href = csvHref(GROUPINGS[grouping], position);
  }
  renderCountryYearTable(byId<HTMLTableElement>('country-year'), totals.countryYear, totals.country, totals.year);
  byId<HTMLAnchorElement>('table-csv').href = csvHref(GROUPINGS.countryYear, position);
  renderStagesTable(byId<HTMLTableElement>('stages'), totals.programmeStage, (code) => programmes.get(code) ?? code);
  byId<HTMLAnchorElement>('stages-csv').href = csvHref(GROUPINGS.programmeStage, position);
  const total = totals.programme.total;
  const counted = state.basis === 'new' ? 'New money only (re-announced money counted once, where first announced)' : 'All together';
  byId('grand-total').textContent = `${counted}: ${describeFigures(total, totals.programme.currency !== null)}.`;
  await showUnconverted(totals.programme, view.asOf !== undefined);
  document.body.dataset.position = position;
  document.body.dataset.currency = state.currency;
  document.body.dataset.basis = state.basis;
  positionText.dataset.position = position;
  positionText.textContent = `Ledger position ${position} · updated ${new Date().toLocaleTimeString('en-GB')}`;
  if (view.asOf === undefined) headMoved(position);
  // Not while the reader is still moving the slider on: its thumb stays under the pointer.
  if (view.asOf === state.asOf) slider.show(view.asOf === undefined ? { live: true } : { live: false, position });
  markMoment(view.asOf === undefined ? undefined : position, head);
  showStatus();
}

// ---- Loading, and refreshing on every new position ----

/** Why a link's moment was set aside for the live view, shown once. */
let unreachable: string | undefined;

/** The view the state asks for; a moment this ledger has not reached (a link from another copy, say) gives the live one. */
async function loadView(signal: AbortSignal): Promise<TotalsView> {
  const { asOf } = state;
  if (asOf === undefined) return loadTotals(state, wanted, signal);
  try {
    return await loadTotalsAsOf(state, asOf, signal);
  } catch (error) {
    if (!(error instanceof ApiError && error.problem?.errors?.some((fault) => fault.field === 'asOf'))) throw error;
    state = { ...state, asOf: undefined };
    keepInAddress();
    unreachable = `The moment in the address (asOf=${asOf}) cannot be shown: ${error.message}. These are the live figures.`;
    return loadTotals(state, wanted, signal);
  }
}

let refreshing = false;
let wanted: string | undefined;
let refreshAgain = false;

/** One refresh at a time; positions arriving meanwhile make one more, at the latest of them. */
async function refresh(minPosition?: string): Promise<void> {
  if (minPosition !== undefined && (wanted === undefined || comparePositions(minPosition, wanted) > 0)) wanted = minPosition;
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  content.setAttribute('aria-busy', 'true');
  try {
    do {
      refreshAgain = false;
      // One request first: without a (valid) key it is the only one refused, and the key form comes up.
      const list = await getJson<{ items: Programme[] }>('/programmes');
      const [view, choices] = await Promise.all([views.run(loadView), loadFilterChoices()]);
      headMoved(choices.head);
      programmes = new Map(list.items.map((p) => [p.code, p.name]));
      announcements.setProgrammes(list.items);
      fillSelect(
        byId<HTMLSelectElement>('filter-programme'),
        list.items.map((p) => ({ value: p.code, label: p.name })),
        state.programme,
      );
      fillSelect(
        byId<HTMLSelectElement>('filter-funder'),
        choices.funders.map((code) => ({ value: code, label: countryName(code) })),
        state.funder,
      );
      fillSelect(
        byId<HTMLSelectElement>('filter-country'),
        choices.countries.map((code) => ({ value: code, label: countryName(code) })),
        state.country,
      );
      content.hidden = false;
      keyPanel.hidden = true;
      forgetKey.hidden = storedKey() === undefined;
      showAlert(unreachable);
      unreachable = undefined;
      // Undefined: the slider moved meanwhile, and its view is the one shown.
      if (view !== undefined) await show(view);
      void showCheckpoint();
      void findFirstEvent();
      if (state.asOf === undefined) await announcements.reload(state);
    } while (refreshAgain);
    startStream();
  } catch (error) {
    handleFailure(error);
  } finally {
    refreshing = false;
    content.removeAttribute('aria-busy');
  }
}

// ---- Live ----

let stopFollowing: (() => void) | undefined;

const STATUS_TEXT: Record<StreamStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  stopped: 'Not live',
};

let streamStatus: StreamStatus = 'stopped';

/** The stream's state; while the figures are of the past, "Live" says that only the slider's end follows the ledger. */
function showStatus(status: StreamStatus = streamStatus): void {
  streamStatus = status;
  byId('live').dataset.state = status;
  byId('live-text').textContent = status === 'live' && state.asOf !== undefined ? 'Live (figures of the past)' : STATUS_TEXT[status];
}

function startStream(): void {
  if (stopFollowing !== undefined) return;
  stopFollowing = followPositions('/totals/stream', {
    onPosition: (position) => {
      headMoved(position);
      // A past view holds still; only the slider's end moves on.
      if (state.asOf !== undefined) return;
      if (shown === undefined || shown.asOf !== undefined || comparePositions(position, shown.position) > 0) void refresh(position);
    },
    onStatus: showStatus,
    onRefused: (status) => {
      stopFollowing = undefined;
      handleFailure(new ApiError(status, undefined));
    },
  });
}

function stopStream(): void {
  stopFollowing?.();
  stopFollowing = undefined;
  showStatus('stopped');
}

// ---- Downloads ----

saveDownloadsWithKey(handleFailure);

showState();
// Public: shown even while the page waits for a read key.
void showCheckpoint();
void refresh();
