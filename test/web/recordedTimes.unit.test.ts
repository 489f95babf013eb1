// The recorded time beside the slider's position: the journal's event at exactly that position, asked once, and not at all for a key refused the journal.
import { describe, expect, it } from 'vitest';
import { RecordedTimes, type JournalPage } from '../../web/src/recordedTimes.js';

const REFUSED = new Error('HTTP 403');

/** Times read from a journal of events at positions 1, 2, 3 recorded a minute apart, answering /events as the API does. */
function recordedTimes(refused = false) {
  const asked: string[] = [];
  const events = [1, 2, 3].map((n) => ({ position: String(n), metadata: { recordedAt: `2026-12-07T12:0${n}:00.000Z` } }));
  const readJournal = (params: URLSearchParams): Promise<JournalPage> => {
    asked.push(`/events?${params.toString()}`);
    if (refused) return Promise.reject(REFUSED);
    const after = Number(params.get('after') ?? '0');
    return Promise.resolve({ items: events.filter((event) => Number(event.position) > after).slice(0, Number(params.get('limit'))) });
  };
  return { times: new RecordedTimes(readJournal, (error) => error === REFUSED), asked };
}

describe('recorded times', () => {
  it('reads the event at exactly the position, once', async () => {
    const { times, asked } = recordedTimes();

    expect(await times.at('2')).toBe('2026-12-07T12:02:00.000Z');
    expect(await times.at('2')).toBe('2026-12-07T12:02:00.000Z');
    expect(asked).toEqual(['/events?after=1&limit=1']);
    expect(await times.first()).toBe('1');
  });

  it('knows no time before the first event, nor for a position with no event', async () => {
    const { times, asked } = recordedTimes();

    expect(await times.at('0')).toBeUndefined();
    expect(await times.at('9')).toBeUndefined();
    expect(asked).toEqual(['/events?after=8&limit=1']);
  });

  it('stops asking once the key is refused the journal, until the key changes', async () => {
    const { times, asked } = recordedTimes(true);

    expect(await times.at('2')).toBeUndefined();
    expect(await times.at('3')).toBeUndefined();
    expect(await times.first()).toBeUndefined();
    expect(asked).toHaveLength(1);
    times.forgetRefusal();
    await times.at('3');
    expect(asked).toHaveLength(2);
  });
});
