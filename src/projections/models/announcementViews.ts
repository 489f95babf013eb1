// Announcements in full, folded from their own streams: what the index (announcements.ts) deliberately does not keep.
import { announcementDecider } from '../../commands/announcement/decide.js';
import { announcementStream } from '../../commands/announcement/events.js';
import { loadStream } from '../../commands/load.js';
import type { EventStore, Position } from '../../store/port.js';
import type { AnnouncementView } from './announcements.js';

/** Stream reads in flight at once while walking many announcements: hides a remote store's round trips. */
const READ_AHEAD = 32;

/** An announcement as it stood right after `position`, folded from its own stream; undefined if it did not exist yet. */
export async function announcementAt(store: EventStore, id: string, position: Position | undefined): Promise<AnnouncementView | undefined> {
  if (position === undefined) return undefined;
  const { state, revision } = await loadStream(store, announcementDecider, announcementStream(id), { position });
  return state.status === 'none' || revision === undefined ? undefined : { state, revision };
}

/**
 * The announcements named by `ids`, in that order, each as it stood right after `position`; ids that did not exist
 * then are skipped. Reads run a few ahead of the one being yielded, so a slow consumer never holds more than that.
 */
export async function* announcementsAt(
  store: EventStore,
  ids: Iterable<string>,
  position: Position | undefined,
): AsyncGenerator<AnnouncementView> {
  const pending: Promise<AnnouncementView | undefined>[] = [];
  const iterator = ids[Symbol.iterator]();
  const fill = (): void => {
    while (pending.length < READ_AHEAD) {
      const next = iterator.next();
      if (next.done === true) return;
      const read = announcementAt(store, next.value, position);
      // Awaited in order below; until then a failure must not count as unhandled.
      read.catch(() => undefined);
      pending.push(read);
    }
  };
  fill();
  while (pending.length > 0) {
    const view = await (pending.shift() as Promise<AnnouncementView | undefined>);
    fill();
    if (view !== undefined) yield view;
  }
}
