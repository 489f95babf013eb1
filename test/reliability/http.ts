// Plain node:http requests for load and fault tests: bounded sockets, a timeout, and failures reported rather than thrown.
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

/** A request that got no answer: refused, reset or timed out (what a client sees when the server dies). */
export interface NoAnswer {
  readonly status: 0;
  readonly error: string;
}

export interface Send {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** An object is sent as JSON; a string or Buffer as is. */
  readonly body?: unknown;
  /** @defaultValue 30_000 */
  readonly timeoutMs?: number;
}

/** A keep-alive agent: at most `sockets` requests on the wire at once, the rest queued in the client. */
export function agentOf(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (_error) {
    return undefined;
  }
}

export function send(agent: Agent, baseUrl: string, what: Send): Promise<Answer | NoAnswer> {
  const headers: Record<string, string> = { ...what.headers };
  let body: Buffer | undefined;
  if (typeof what.body === 'string' || Buffer.isBuffer(what.body)) body = Buffer.from(what.body);
  else if (what.body !== undefined) {
    body = Buffer.from(JSON.stringify(what.body));
    headers['content-type'] ??= 'application/json';
  }
  if (body !== undefined) headers['content-length'] = String(body.length);
  return new Promise((resolve) => {
    const { hostname, port } = new URL(baseUrl);
    // The path goes on the wire as given (no URL normalisation), so a test can send `..` and broken escapes.
    const options = { hostname, port, path: what.path, method: what.method, headers, agent, timeout: what.timeoutMs ?? 30_000 };
    const req = httpRequest(options, (res) => {
      // An event stream never ends by itself: its status and headers are the answer.
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', json: undefined });
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => resolve({ status: 0, error: error.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, error: error.code ?? error.message }));
    req.end(body);
  });
}

export function answered(reply: Answer | NoAnswer): reply is Answer {
  return reply.status !== 0;
}

/** Runs `task` for 0..count-1 with at most `limit` in flight (client-side bound for checks after the load). */
export async function inBatches<T>(count: number, limit: number, task: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
