import { describe, expect, it } from 'vitest';
import { toDomainEvent } from '../../src/commands/decider.js';
import { ANNOUNCEMENT_EVENT_TYPES, type AnnouncementEvent } from '../../src/commands/announcement/events.js';
import { EVENT_SCHEMA_VERSION } from '../../src/commands/envelope.js';
import { CURRENT_SCHEMA_VERSION, schemaVersionOf, stepsByType, upcastData, type UpcastStep } from '../../src/commands/upcasters.js';
import type { RecordedEvent } from '../../src/store/port.js';

const gbp = (minor: number) => ({ currency: 'GBP', minor });
const earlier = '1b9a2f4e-3c1d-4e5f-8a6b-7c8d9e0f1a2b';

function stored(type: string, data: Record<string, unknown>, metadata: Record<string, unknown>): RecordedEvent {
  return { id: 'e', stream: 'announcement-x', revision: 0n, position: { commit: 0n, prepare: 0n }, type, data, metadata };
}

/** An event whose metadata throws when read: proves a step did not need the version. */
function storedWithoutReadingMetadata(type: string, data: Record<string, unknown>): RecordedEvent {
  const event = stored(type, data, {});
  Object.defineProperty(event, 'metadata', {
    get() {
      throw new Error('metadata read');
    },
  });
  return event;
}

const announcedV1 = {
  announcementId: 'x',
  funder: 'GB',
  programme: 'p',
  title: 't',
  announcedOn: '2025-03-31',
  amount: gbp(100),
  tags: [],
};

describe('schema versions', () => {
  it('writes version 2 from now on', () => {
    expect(CURRENT_SCHEMA_VERSION).toBe(2);
    expect(EVENT_SCHEMA_VERSION).toBe(2);
  });

  it('reads an event without a version as version 1', () => {
    expect(schemaVersionOf(stored('FundingAnnounced', {}, {}))).toBe(1);
    expect(schemaVersionOf(stored('FundingAnnounced', {}, { schemaVersion: 2 }))).toBe(2);
  });
});

describe('upcasting 1 -> 2', () => {
  it('reads a version-1 FundingAnnounced without restates as restating nothing, the same object, metadata unread', () => {
    const event = storedWithoutReadingMetadata('FundingAnnounced', announcedV1);
    expect(upcastData(event)).toBe(announcedV1);
    const domain = toDomainEvent<AnnouncementEvent>({ eventTypes: ANNOUNCEMENT_EVENT_TYPES }, event);
    expect(domain.type === 'FundingAnnounced' && domain.data.restates).toBeUndefined();
  });

  it('passes events of types no step touches without reading their version', () => {
    const data = { announcementId: 'x', reason: 'r' };
    expect(upcastData(storedWithoutReadingMetadata('FundingWithdrawn', data))).toBe(data);
    expect(upcastData(storedWithoutReadingMetadata('ProgrammeRegistered', data))).toBe(data);
  });

  it('reads restates as they are, whatever version the metadata names (tools and tests write none)', () => {
    const data = { ...announcedV1, restates: [{ announcementId: earlier, amount: gbp(50) }] };
    expect(upcastData(stored('FundingAnnounced', data, { schemaVersion: 2 }))).toBe(data);
    expect(upcastData(stored('FundingAnnounced', data, {}))).toBe(data);
  });

  it('reads a version-1 amendment without restates as it is', () => {
    const amended = { announcementId: 'x', reason: 'r', changes: { title: 'new' } };
    expect(upcastData(storedWithoutReadingMetadata('FundingAmended', amended))).toBe(amended);
  });
});

describe('the upcasting machinery', () => {
  /** A made-up step 2 -> 3 that renames `title` to `headline`: applies to events written before version 3 only. */
  const renameTitle: UpcastStep = {
    from: 2,
    types: ['FundingAnnounced'],
    touches: (_type, data) => 'title' in data,
    upcast: (_type, { title, ...rest }) => ({ ...rest, headline: title }),
  };
  const steps = stepsByType([renameTitle]);

  it('applies a step to events of earlier versions, never changing the stored data', () => {
    const data = { title: 't' };
    const event = stored('FundingAnnounced', data, { schemaVersion: 2 });
    expect(upcastData(event, steps)).toEqual({ headline: 't' });
    expect(upcastData(stored('FundingAnnounced', data, {}), steps)).toEqual({ headline: 't' });
    expect(event.data).toEqual({ title: 't' });
  });

  it("leaves events of the step's target version or later as they are", () => {
    const data = { title: 't' };
    expect(upcastData(stored('FundingAnnounced', data, { schemaVersion: 3 }), steps)).toBe(data);
  });

  it('reads the version only when a step touches the data', () => {
    const data = { headline: 'h' };
    expect(upcastData(storedWithoutReadingMetadata('FundingAnnounced', data), steps)).toBe(data);
    expect(() => upcastData(storedWithoutReadingMetadata('FundingAnnounced', { title: 't' }), steps)).toThrow('metadata read');
  });
});
