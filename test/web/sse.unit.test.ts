// The dashboard's event-stream parser: events however the bytes are split, every line ending, comments and retry.
import { describe, expect, it } from 'vitest';
import { EventStreamParser } from '../../web/src/sse.js';

const STREAM = 'retry: 2000\n\n: heartbeat\n\nid: 7\ndata: {"position":"7"}\n\nevent: note\ndata: one\ndata: two\n\n';

describe('EventStreamParser', () => {
  it('reads events, drops comments and keeps the retry delay', () => {
    const parser = new EventStreamParser();

    expect(parser.push(STREAM)).toEqual([
      { event: 'message', id: '7', data: '{"position":"7"}' },
      { event: 'note', id: '7', data: 'one\ntwo' },
    ]);
    expect(parser.retryMs).toBe(2000);
  });

  it('gives the same events whatever the chunks, one character at a time included', () => {
    const whole = new EventStreamParser().push(STREAM);
    for (const size of [1, 2, 3, 5, 8, 13]) {
      const parser = new EventStreamParser();
      const events = [];
      for (let start = 0; start < STREAM.length; start += size) events.push(...parser.push(STREAM.slice(start, start + size)));
      expect(events, `chunks of ${size}`).toEqual(whole);
    }
  });

  it('takes CRLF and CR line endings, even with a CRLF split across chunks', () => {
    const parser = new EventStreamParser();

    expect([...parser.push('data: a\r'), ...parser.push('\n\r\ndata: b\r\r')]).toEqual([{ event: 'message', id: undefined, data: 'a' }]);
    // A CR at the end of a chunk may be half a CRLF: it counts once the next character shows it is not.
    expect(parser.push('data: c')).toEqual([{ event: 'message', id: undefined, data: 'b' }]);
  });

  it('holds an event until its blank line arrives', () => {
    const parser = new EventStreamParser();

    expect(parser.push('id: 1\ndata: {"position":"1"}\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'message', id: '1', data: '{"position":"1"}' }]);
  });
});
