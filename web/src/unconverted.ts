// The notice under the totals that names the announcements a converted figure leaves out: no rate, so never guessed.
import { getJson } from './api.js';
import { byId, el } from './dom.js';
import { formatDate, formatMoney, plural } from './format.js';
import type { Announcement, Totals } from './model.js';

/**
 * Names the announcements a converted total leaves out, with their original amounts. Their details are read as they
 * stand now, so a past view says so.
 */
export async function showUnconverted(totals: Totals, historical: boolean): Promise<void> {
  const box = byId('unconverted');
  const ids = totals.total.unconverted ?? [];
  box.dataset.unconverted = ids.join(' ');
  if (totals.currency === null || ids.length === 0) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const listed = await Promise.all(
    ids.slice(0, 10).map((id) => getJson<Announcement>(`/announcements/${encodeURIComponent(id)}`).catch(() => undefined)),
  );
  box.replaceChildren(
    el('h3', {}, `${plural(ids.length, 'announcement')} not converted to ${totals.currency}`),
    el(
      'p',
      {},
      `No ${totals.currency} rate was recorded on or before their dates, so they are left out of the converted figures (bars and cells marked *) and are never guessed. Their original amounts${historical ? ', as they stand now' : ''}:`,
    ),
    el(
      'ul',
      {},
      ...listed.map((announcement, index) =>
        announcement === undefined
          ? el('li', {}, ids[index])
          : el(
              'li',
              { 'data-id': announcement.id },
              el('a', { href: `#announcement-${announcement.id}` }, announcement.title),
              ` — ${formatMoney(announcement.amount)}, ${formatDate(announcement.announcedOn)}`,
            ),
      ),
      ids.length > 10 ? el('li', {}, `and ${ids.length - 10} more`) : null,
    ),
  );
  box.hidden = false;
}
