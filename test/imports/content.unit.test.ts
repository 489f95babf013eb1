// Identity from content: the same announcement gets the same id and key however a file spells it.
import { describe, expect, it } from 'vitest';
import type { AnnouncementFields } from '../../src/commands/announcement/events.js';
import { canonicalFields, identify } from '../../src/imports/content.js';
import type { ValidAnnouncement } from '../../src/imports/validate.js';
import { theThreeMillionFields } from '../support/scenarios.js';

const fields = theThreeMillionFields();

function anAnnouncement(overrides: Partial<ValidAnnouncement> = {}): ValidAnnouncement {
  return {
    lines: [2],
    givenId: undefined,
    fields,
    withdrawalReason: undefined,
    programme: { code: fields.programme, name: fields.programme },
    locate: (path) => ({ line: 2, field: String(path[0]) }),
    ...overrides,
  };
}

describe('identity from content', () => {
  it('derives the same UUID v5 for the same content, whatever the key order or line', () => {
    const reordered = Object.fromEntries(Object.entries(fields).reverse()) as unknown as AnnouncementFields;

    const [a, b] = [identify(anAnnouncement()), identify(anAnnouncement({ fields: reordered, lines: [9] }))];

    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b.id).toBe(a.id);
    expect(b.contentHash).toBe(a.contentHash);
    expect(a.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('treats one allocation of the whole amount as the same as a country: the CSV cannot tell them apart', () => {
    const { country: _country, ...rest } = fields;
    const allocated = { ...rest, allocations: [{ country: 'GB', amount: fields.amount }] };

    expect(canonicalFields(allocated)).toEqual(fields);
    expect(identify(anAnnouncement({ fields: allocated })).id).toBe(identify(anAnnouncement()).id);
  });

  it('derives another id for other content, and keeps an id the file gives', () => {
    const given = '0b9a2f4e-3c1d-4e5f-8a6b-7c8d9e0f1a2b';

    expect(identify(anAnnouncement({ fields: { ...fields, title: 'Another' } })).id).not.toBe(identify(anAnnouncement()).id);
    expect(identify(anAnnouncement({ givenId: given })).id).toBe(given);
  });

  it('gives two announcements with the same content but different ids different keys (their event ids derive from them)', () => {
    const a = identify(anAnnouncement({ givenId: '0b9a2f4e-3c1d-4e5f-8a6b-7c8d9e0f1a2b' }));
    const b = identify(anAnnouncement({ givenId: '1c0b3f5e-4d2e-4f60-9b7c-8d9e0f1a2b3c' }));

    expect(a.content).toBe(b.content);
    expect(a.contentHash).not.toBe(b.contentHash);
  });
});
