// Identity from content: the ids and idempotency keys an import derives, so importing a file twice adds nothing.
import { createHash } from 'node:crypto';
import { v5 as uuidV5 } from 'uuid';
import type { AnnouncementFields } from '../commands/announcement/events.js';
import { canonicalJson } from '../domain/canonicalJson.js';
import type { ValidAnnouncement } from './validate.js';

/** Namespace of the ids given to announcements a file names without one (UUID v5 of their content). */
const IMPORTED_ANNOUNCEMENT_NAMESPACE = '83e9ee26-870f-4fb1-af61-1ffb797a53ba';

/** Recorded as the actor of every event an import writes. */
export const IMPORT_ACTOR = 'import';

export interface IdentifiedAnnouncement extends ValidAnnouncement {
  readonly id: string;
  /** Canonical JSON of what the announcement says (see canonicalFields): equal content, equal text. */
  readonly content: string;
  /** SHA-256 (hex) of the canonical body with its id: the idempotency key of its events is `import:` + this. */
  readonly contentHash: string;
}

/**
 * What an announcement says, whatever shape the file gave it: a single allocation of the whole amount is the
 * same as a country (the CSV cannot tell them apart), and absent fields are left out.
 */
export function canonicalFields(fields: AnnouncementFields): AnnouncementFields {
  const { country, allocations, ...rest } = fields;
  const only = allocations?.length === 1 ? allocations[0] : undefined;
  if (only !== undefined) return { ...rest, country: only.country };
  return { ...rest, ...(country !== undefined && { country }), ...(allocations !== undefined && { allocations }) };
}

export function contentOf(fields: AnnouncementFields): string {
  return canonicalJson(canonicalFields(fields));
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function identify(announcement: ValidAnnouncement): IdentifiedAnnouncement {
  const content = contentOf(announcement.fields);
  const id = announcement.givenId ?? uuidV5(content, IMPORTED_ANNOUNCEMENT_NAMESPACE);
  return { ...announcement, id, content, contentHash: sha256(canonicalJson({ id, ...canonicalFields(announcement.fields) })) };
}

export function announcementKeyOf(announcement: IdentifiedAnnouncement): string {
  return `import:${announcement.contentHash}`;
}

/** Its own key: event ids derive from the key and the event's index, and must differ from the announcement's. */
export function withdrawalKeyOf(announcement: IdentifiedAnnouncement): string {
  return `import:${announcement.contentHash}:withdrawal`;
}

export function programmeKeyOf(code: string): string {
  return `import:programme:${code}`;
}
