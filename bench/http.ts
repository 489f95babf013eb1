// Plain HTTP from the bench process: free ports, timed requests on one kept-alive connection, counting a stream.
import http from 'node:http';
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

/** One request, its whole body read; `agent` keeps the connection between calls. */
export function request(
  url: string,
  options: { headers?: http.OutgoingHttpHeaders; agent?: http.Agent; method?: string; body?: string } = {},
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Retries a 503 (overloaded: the event loop was blocked a moment ago) every `waitMs`, up to `attempts` times. */
export async function requestServed(
  url: string,
  options: Parameters<typeof request>[1] = {},
  retry: { attempts: number; waitMs: number; onRefused?: () => void } = { attempts: 100, waitMs: 100 },
): Promise<Answer> {
  for (let attempt = 1; ; attempt += 1) {
    const answer = await request(url, options);
    if (answer.status !== 503 || attempt >= retry.attempts) return answer;
    retry.onRefused?.();
    await new Promise((resolve) => setTimeout(resolve, retry.waitMs));
  }
}

export async function getJson<T>(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<T> {
  const answer = await requestServed(url, { headers });
  if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status} ${answer.body.slice(0, 300)}`);
  return JSON.parse(answer.body) as T;
}

export interface Streamed {
  readonly status: number;
  readonly bytes: number;
  /** Newline-terminated lines. */
  readonly lines: number;
  readonly seconds: number;
}

/** Reads a response to its end without keeping it, counting bytes and lines (as if piped to /dev/null). */
export function streamToNowhere(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<Streamed> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let bytes = 0;
      let lines = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, lines, seconds: (performance.now() - started) / 1000 }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
