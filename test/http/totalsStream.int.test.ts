// GET /totals/stream over real HTTP: the position on connect and on every advance, throttled, heartbeats, keys, clean ends.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventStreamParser, type ServerSentEvent } from '../../web/src/sse.js';
import { announce, clientOf, expectStatus, startTestLedger, type TestLedger } from '../support/ledger.js';
import { aProgramme, registerProgrammes, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';

/** Streams still open when a test ends are closed by the client, before the ledger closes. */
const opened: AbortController[] = [];
afterEach(() => {
  for (const controller of opened.splice(0)) controller.abort();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

interface OpenStream {
  readonly response: Response;
  /** Every chunk of text received so far, comments included. */
  readonly text: () => string;
  readonly events: ServerSentEvent[];
  /** Resolves once the server has ended the response. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens the stream as the dashboard does: fetch with the key in the header, the body read as it arrives. */
async function openStream(ledger: TestLedger, key: string | null = ledger.adminKey): Promise<OpenStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream', ...(key === null ? {} : { authorization: `Bearer ${key}` }) };
  const response = await fetch(`${ledger.baseUrl}/totals/stream`, { headers, signal: controller.signal });
  const parser = new EventStreamParser();
  const events: ServerSentEvent[] = [];
  let text = '';
  const ended = (async () => {
    if (response.body === null) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        const piece = decoder.decode(chunk as Uint8Array, { stream: true });
        text += piece;
        events.push(...parser.push(piece));
      }
    } catch (_aborted) {
      // The client went away on purpose.
    }
  })();
  opened.push(controller);
  return { response, text: () => text, events, ended, close: () => controller.abort() };
}

/** Polls with the real setTimeout until `condition` holds, for at most 5 s. */
async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5_000; !condition();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function positionsOf(events: readonly ServerSentEvent[]): string[] {
  return events.map((event) => (JSON.parse(event.data) as { position: string }).position);
}

/** Counts the projection listeners the route holds, by wrapping the runner's onAdvance. */
function countListeners(ledger: TestLedger): { readonly count: () => number } {
  const runner = ledger.ledger.context.projections;
  const original = runner.onAdvance.bind(runner);
  let count = 0;
  vi.spyOn(runner, 'onAdvance').mockImplementation((listener) => {
    count += 1;
    const off = original(listener);
    return () => {
      count -= 1;
      return off();
    };
  });
  return { count: () => count };
}

describe('GET /totals/stream', () => {
  it('answers an event stream whose first event is the current position', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);

    const stream = await openStream(ledger);

    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.response.headers.get('cache-control')).toBe('no-cache, no-transform');
    await vi.waitFor(() => expect(stream.events).toHaveLength(1));
    expect(stream.events[0]).toEqual({ event: 'message', id: '2', data: '{"position":"2"}' });
    expect(stream.text()).toMatch(/^retry: 2000\n\n/);
  });

  it('sends the position of each write once the projections have applied it', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);
    const stream = await openStream(ledger);
    await vi.waitFor(() => expect(stream.events).toHaveLength(1));

    const thirty = await announce(ledger, theThirtyMillion());
    await vi.waitFor(() => expect(positionsOf(stream.events)).toEqual(['2', thirty.position]));
    const three = await announce(ledger, theThreeMillion());
    await vi.waitFor(() => expect(positionsOf(stream.events)).toEqual(['2', thirty.position, three.position]));

    // What the event names is what /totals answers at once: the dashboard refetches with it as minPosition.
    const totals = expectStatus(await clientOf(ledger).get(`/totals?minPosition=${three.position}`), 200);
    expect(totals.json.position).toBe(three.position);
    expect(stream.events.at(-1)?.id).toBe(three.position);
  });

  it('sends a burst of writes as a few events, the last one carrying the last position', async () => {
    const ledger = await startTestLedger();
    const stream = await openStream(ledger);
    await vi.waitFor(() => expect(stream.events).toHaveLength(1));
    const started = Date.now();

    const codes = Array.from({ length: 30 }, (_, index) => `burst-${String(index).padStart(2, '0')}`);
    await Promise.all(codes.map((code) => clientOf(ledger).post('/programmes', aProgramme({ code }))));
    const head = await ledger.storeHead();
    await vi.waitFor(() => expect(positionsOf(stream.events).at(-1)).toBe(head));
    const elapsed = Date.now() - started;

    const positions = positionsOf(stream.events);
    expect(head).toBe('30');
    // At most one event per 250 ms window (plus the first), never one per write.
    expect(positions.length - 1).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 1);
    expect(positions.length - 1).toBeLessThan(30);
    expect(positions.map(Number)).toEqual([...positions.map(Number)].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
  });

  it('sends a heartbeat comment every 15 seconds while nothing happens', async () => {
    const ledger = await startTestLedger();
    // Only intervals are faked, so sockets and setTimeout run as usual; vi.waitFor would move the fake clock itself.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const stream = await openStream(ledger);
    const heartbeats = () => stream.text().match(/^: heartbeat$/gm)?.length ?? 0;
    await until(() => stream.events.length === 1);

    vi.advanceTimersByTime(14_999);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heartbeats()).toBe(0);
    vi.advanceTimersByTime(1);
    await until(() => heartbeats() === 1);
    vi.advanceTimersByTime(30_000);
    await until(() => heartbeats() === 3);

    // Comments are not events: a client sees only positions.
    expect(stream.events).toHaveLength(1);
  });

  it('refuses a request without a valid key with 401, and a key without read with 403', async () => {
    const ledger = await startTestLedger();
    const auditOnly = ledger.createKey('auditor', ['audit']);

    const none = await fetch(`${ledger.baseUrl}/totals/stream`);
    const wrong = await fetch(`${ledger.baseUrl}/totals/stream`, {
      headers: { authorization: 'Bearer flk_notAKeyOfThisLedger000000000000000000' },
    });
    const inQuery = await fetch(`${ledger.baseUrl}/totals/stream?key=${encodeURIComponent(ledger.adminKey)}`);
    const forbidden = await fetch(`${ledger.baseUrl}/totals/stream`, { headers: { authorization: `Bearer ${auditOnly}` } });

    for (const response of [none, wrong, inQuery]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    }
    expect(forbidden.status).toBe(403);
  });

  it('needs no key when reads are public, so a plain EventSource can follow it', async () => {
    const ledger = await startTestLedger({ env: { PUBLIC_READ: 'true' } });

    const stream = await openStream(ledger, null);

    expect(stream.response.status).toBe(200);
    await vi.waitFor(() => expect(positionsOf(stream.events)).toEqual(['0']));
  });

  it('lets go of its projection listener and timers when the client disconnects', async () => {
    const ledger = await startTestLedger();
    const listeners = countListeners(ledger);
    const first = await openStream(ledger);
    const second = await openStream(ledger);
    await vi.waitFor(() => expect(first.events.length + second.events.length).toBe(2));
    expect(listeners.count()).toBe(2);

    first.close();
    await vi.waitFor(() => expect(listeners.count()).toBe(1));
    second.close();
    await vi.waitFor(() => expect(listeners.count()).toBe(0));

    // Writes after the disconnects reach nobody and break nothing.
    await registerProgrammes(ledger);
    expect((await clientOf(ledger).get('/totals')).json.position).toBe('2');
  });

  it('ends open streams when the service closes, instead of holding the shutdown', async () => {
    const ledger = await startTestLedger();
    const listeners = countListeners(ledger);
    const stream = await openStream(ledger);
    await vi.waitFor(() => expect(stream.events).toHaveLength(1));

    const started = Date.now();
    await ledger.close();
    await stream.ended;

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(listeners.count()).toBe(0);
  });
});
