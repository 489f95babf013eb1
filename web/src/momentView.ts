// Marks the page when its figures are of a past moment: a banner by the totals, the header, and the panels that cannot follow.
import { byId } from './dom.js';
import { formatInstant } from './format.js';

/** Says plainly, beside the figures and in the header, which moment they show; the announcements cannot follow. */
export function markMoment(position: string | undefined, head: string, recordedAt?: string): void {
  const banner = byId('as-of-banner');
  const historical = position !== undefined;
  document.body.dataset.view = historical ? 'historical' : 'live';
  if (historical) document.body.dataset.asOf = position;
  else delete document.body.dataset.asOf;
  banner.hidden = !historical;
  byId('announcements-as-of').hidden = !historical;
  byId('announcements-now').hidden = historical;
  if (!historical) return;
  const recorded = recordedAt === undefined ? '' : `, recorded ${formatInstant(recordedAt)}`;
  banner.textContent = `Historical view: the totals as they stood right after position ${position}${recorded}, not as they are now (position ${head}).`;
  byId('position').textContent = `Historical view: position ${position}${recorded}`;
}
