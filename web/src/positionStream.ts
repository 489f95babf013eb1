// Follows GET /totals/stream with fetch and a stream reader, so the key can travel in a header (EventSource sends none).
import { authorizationHeaders } from './api.js';
import { EventStreamParser } from './sse.js';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface PositionStreamHandlers {
  readonly onPosition: (position: string) => void;
  readonly onStatus: (status: StreamStatus) => void;
  /** 401 or 403: reconnecting with the same key cannot help. */
  readonly onRefused: (status: number) => void;
}

const MAX_DELAY_MS = 30_000;

/**
 * Connects, and reconnects after a drop (the server's `retry`, doubling up to 30 s); returns a function that stops it,
 * after which no handler is called.
 */
export function followPositions(url: string, handlers: PositionStreamHandlers): () => void {
  const controller = new AbortController();
  let failures = 0;
  let retryMs = 2_000;

  async function connectOnce(): Promise<void> {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...authorizationHeaders() },
      cache: 'no-store',
      signal: controller.signal,
    });
    if (response.status === 401 || response.status === 403) {
      handlers.onRefused(response.status);
      controller.abort();
      return;
    }
    if (!response.ok || response.body === null) throw new Error(`the event stream answered HTTP ${response.status}`);
    if (controller.signal.aborted) return;
    handlers.onStatus('live');
    failures = 0;
    // A new parser per connection: a half-received event of a dropped one must not run into the next.
    const parser = new EventStreamParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const events = parser.push(value);
      retryMs = parser.retryMs ?? retryMs;
      for (const event of events) {
        if (event.event !== 'message') continue;
        const data = JSON.parse(event.data) as { position?: unknown };
        if (typeof data.position === 'string' && !controller.signal.aborted) handlers.onPosition(data.position);
      }
    }
  }

  async function run(): Promise<void> {
    handlers.onStatus('connecting');
    while (!controller.signal.aborted) {
      try {
        await connectOnce();
      } catch (_error) {
        // A dropped connection or a server restart: wait, then try again.
      }
      if (controller.signal.aborted) return;
      failures += 1;
      handlers.onStatus('reconnecting');
      const delay = Math.min(MAX_DELAY_MS, retryMs * 2 ** Math.min(failures - 1, 4));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  void run();
  return () => controller.abort();
}
