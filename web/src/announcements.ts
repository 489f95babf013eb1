// The announcements behind the figures, newest view first, each with its history: amendments and withdrawal, who and why.
import { getJson } from './api.js';
import { append, el } from './dom.js';
import { countryName, formatDate, formatInstant, formatMoney, plural } from './format.js';
import type { Announcement, AnnouncementHistory, AnnouncementPage, HistoryVersion, Programme } from './model.js';
import { announcementParams, type ViewState } from './query.js';

const EVENT_NAMES: Record<HistoryVersion['event'], string> = {
  FundingAnnounced: 'Announced',
  FundingAmended: 'Amended',
  FundingWithdrawn: 'Withdrawn',
  FundingCommitted: 'Committed',
  FundingDisbursed: 'Disbursed',
};

function whereItGoes(announcement: Announcement): string {
  if (announcement.country !== undefined) return countryName(announcement.country);
  if (announcement.allocations !== undefined) {
    return announcement.allocations
      .map((a) => `${countryName(a.country)} ${formatMoney({ value: a.value, currency: announcement.amount.currency })}`)
      .join(', ');
  }
  return 'Unallocated';
}

function versionItem(version: HistoryVersion): HTMLLIElement {
  return el(
    'li',
    {
      class: `version version-${EVENT_NAMES[version.event].toLowerCase()}`,
      'data-event': version.event,
      'data-revision': version.revision,
    },
    el(
      'p',
      {},
      el('strong', {}, EVENT_NAMES[version.event]),
      ` ${formatInstant(version.recordedAt)} by `,
      el('span', { class: 'actor' }, version.actor),
      ` (revision ${version.revision}, position ${version.position})`,
    ),
    version.reason === null ? null : el('p', { class: 'reason' }, 'Why: ', el('q', {}, version.reason)),
    version.event === 'FundingAnnounced' ? null : el('p', { class: 'changed' }, `Changed: ${version.changed.join(', ')}`),
    version.event === 'FundingAmended'
      ? el(
          'p',
          { class: 'then' },
          `Now: ${formatMoney(version.state.amount)}, ${whereItGoes(version.state)}, announced ${formatDate(version.state.announcedOn)}`,
        )
      : null,
  );
}

export class AnnouncementList {
  private state: ViewState | undefined;
  private nextCursor: string | null = null;
  private programmes = new Map<string, string>();
  /** A reload started later wins over one still running. */
  private generation = 0;

  constructor(
    private readonly list: HTMLOListElement,
    private readonly summary: HTMLElement,
    private readonly moreButton: HTMLButtonElement,
  ) {
    moreButton.addEventListener('click', () => void this.loadMore());
    list.addEventListener('click', (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>('button[data-history]');
      if (button === null) return;
      if (button.getAttribute('aria-expanded') === 'true') this.closeHistory(button);
      else void this.openHistory(button);
    });
  }

  setProgrammes(programmes: readonly Programme[]): void {
    this.programmes = new Map(programmes.map((p) => [p.code, p.name]));
  }

  /** Shows the first page for this view; histories the reader opened stay open (and are refreshed). */
  async reload(state: ViewState): Promise<void> {
    const generation = ++this.generation;
    const open = new Set(
      [...this.list.querySelectorAll<HTMLButtonElement>('button[data-history][aria-expanded="true"]')].map((b) => b.dataset.history),
    );
    const page = await getJson<AnnouncementPage>('/announcements', announcementParams(state));
    if (generation !== this.generation) return;
    this.state = state;
    this.list.replaceChildren(...page.items.map((item) => this.item(item)));
    this.setCursor(page.nextCursor);
    for (const button of this.list.querySelectorAll<HTMLButtonElement>('button[data-history]')) {
      if (open.has(button.dataset.history)) await this.openHistory(button);
    }
  }

  private async loadMore(): Promise<void> {
    if (this.state === undefined || this.nextCursor === null) return;
    this.moreButton.disabled = true;
    try {
      const page = await getJson<AnnouncementPage>('/announcements', announcementParams(this.state, this.nextCursor));
      const first = page.items[0];
      append(this.list, ...page.items.map((item) => this.item(item)));
      this.setCursor(page.nextCursor);
      // Keyboard readers continue where the new items start.
      if (first !== undefined) this.list.querySelector<HTMLElement>(`#announcement-${first.id} h3`)?.focus();
    } finally {
      this.moreButton.disabled = false;
    }
  }

  private setCursor(cursor: string | null): void {
    this.nextCursor = cursor;
    this.moreButton.hidden = cursor === null;
    const shown = this.list.children.length;
    this.summary.textContent =
      shown === 0
        ? 'No announcement matches these filters.'
        : `${plural(shown, 'announcement')} shown${cursor === null ? '' : ', more below'}.`;
  }

  private item(announcement: Announcement): HTMLLIElement {
    const historyId = `history-${announcement.id}`;
    const withdrawn = announcement.status === 'withdrawn';
    return el(
      'li',
      {
        class: `announcement${withdrawn ? ' withdrawn' : ''}`,
        id: `announcement-${announcement.id}`,
        'data-id': announcement.id,
        'data-status': announcement.status,
      },
      el('h3', { tabindex: -1 }, announcement.title),
      el(
        'p',
        { class: 'meta' },
        el(
          'span',
          { class: 'amount', 'data-value': announcement.amount.value, 'data-currency': announcement.amount.currency },
          formatMoney(announcement.amount),
        ),
        announcement.statedEquivalent === undefined ? null : ` (quoted as ${formatMoney(announcement.statedEquivalent)})`,
        ` · ${formatDate(announcement.announcedOn)} · funder ${countryName(announcement.funder)} · `,
        this.programmes.get(announcement.programme) ?? announcement.programme,
        ` · to ${whereItGoes(announcement)}`,
      ),
      this.restatements(announcement),
      announcement.committed === undefined && announcement.disbursed === undefined
        ? null
        : el(
            'p',
            { class: 'stages' },
            `Committed ${formatMoney({ value: announcement.committed ?? '0', currency: announcement.amount.currency })}`,
            ` · disbursed ${formatMoney({ value: announcement.disbursed ?? '0', currency: announcement.amount.currency })}`,
          ),
      withdrawn
        ? el(
            'p',
            { class: 'withdrawal' },
            el('strong', {}, 'Withdrawn'),
            announcement.withdrawalReason === undefined ? '' : `: ${announcement.withdrawalReason}`,
          )
        : null,
      announcement.source === undefined
        ? null
        : el(
            'p',
            { class: 'source' },
            'Source: ',
            el(
              'a',
              { href: announcement.source.url, rel: 'noopener noreferrer' },
              announcement.source.publisher ?? announcement.source.url,
            ),
          ),
      el(
        'button',
        { type: 'button', class: 'link-button', 'data-history': announcement.id, 'aria-expanded': 'false', 'aria-controls': historyId },
        `History (${plural(announcement.revision + 1, 'version')})`,
      ),
      el('div', { class: 'history', id: historyId, hidden: true }),
    );
  }

  /** What this announcement re-announces of earlier ones, and which later ones re-announce part of it. */
  private restatements(announcement: Announcement): HTMLElement | null {
    const { currency } = announcement.amount;
    const link = (part: { announcement: string; value: string }): (string | HTMLElement)[] => [
      el('a', { href: `#announcement-${part.announcement}`, 'data-restated': part.announcement }, part.announcement),
      ` (${formatMoney({ value: part.value, currency })})`,
    ];
    const restates = announcement.restates ?? [];
    const restatedBy = announcement.restatedBy ?? [];
    if (restates.length === 0 && restatedBy.length === 0) return null;
    const joined = (parts: readonly { announcement: string; value: string }[]): (string | HTMLElement)[] =>
      parts.flatMap((part, index) => [...(index > 0 ? [', '] : []), ...link(part)]);
    return el(
      'div',
      { class: 'restatements' },
      restates.length === 0 ? null : el('p', { class: 'restates' }, 'Re-announces money of ', ...joined(restates)),
      restatedBy.length === 0 ? null : el('p', { class: 'restated-by' }, 'Partly re-announced by ', ...joined(restatedBy)),
    );
  }

  private closeHistory(button: HTMLButtonElement): void {
    button.setAttribute('aria-expanded', 'false');
    const region = document.getElementById(`history-${button.dataset.history ?? ''}`);
    if (region !== null) region.hidden = true;
  }

  private async openHistory(button: HTMLButtonElement): Promise<void> {
    const id = button.dataset.history;
    const region = id === undefined ? null : document.getElementById(`history-${id}`);
    if (id === undefined || region === null) return;
    button.setAttribute('aria-expanded', 'true');
    region.hidden = false;
    region.replaceChildren(el('p', {}, 'Loading the history…'));
    try {
      const history = await getJson<AnnouncementHistory>(`/announcements/${encodeURIComponent(id)}/history`);
      region.replaceChildren(el('ol', { class: 'versions', 'aria-label': 'Versions, oldest first' }, ...history.versions.map(versionItem)));
    } catch (error) {
      region.replaceChildren(el('p', { class: 'error' }, `The history could not be loaded: ${(error as Error).message}`));
    }
  }
}
