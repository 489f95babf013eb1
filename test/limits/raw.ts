// A raw TCP connection to the ledger, for requests no HTTP client would send: bodies that stall or drip, idle sockets.
import { connect, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

export interface RawResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

export class RawConnection {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private drip: NodeJS.Timeout | undefined;
  /** Settles when the socket has closed, for whatever reason (the server ended it, reset it, or dropped it). */
  readonly closed: Promise<void>;
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        clearInterval(this.drip);
        this.wake();
        resolve();
      }),
    );
    onTestFinished(() => {
      clearInterval(this.drip);
      socket.destroy();
    });
  }

  /** Connects; the connection is destroyed when the test ends. */
  static open(baseUrl: string): Promise<RawConnection> {
    const { hostname, port } = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get open(): boolean {
    return !this.isClosed;
  }

  /** Everything received and not yet taken as a response. */
  get unread(): string {
    return this.buffer.toString('latin1');
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text, 'latin1');
  }

  /** Sends one byte every `everyMs` until the connection closes or the test ends. */
  dripBody(everyMs: number): void {
    this.drip = setInterval(() => this.write('x'), everyMs);
  }

  stopDripping(): void {
    clearInterval(this.drip);
  }

  /** The next complete response (with a Content-Length), or an error naming what arrived when `timeoutMs` pass. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.takeResponse();
      if (parsed !== undefined) return parsed;
      if (this.isClosed)
        throw new Error(`the connection closed before a whole response; received: ${JSON.stringify(this.unread.slice(0, 300))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no whole response within ${timeoutMs} ms; received: ${JSON.stringify(this.unread.slice(0, 300))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** True when the connection closes within `withinMs`. */
  async closesWithin(withinMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), withinMs)));
    const outcome = await Promise.race([this.closed.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return outcome;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private takeResponse(): RawResponse | undefined {
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine = '', ...lines] = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffer.length < headEnd + 4 + length) return undefined;
    const body = this.buffer.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
    this.buffer = this.buffer.subarray(headEnd + 4 + length);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (_error) {
      json = undefined;
    }
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body, json };
  }
}

/** The head of a request, with Host, ending in the blank line; the body (if any) is for the caller to send. */
export function requestHead(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = Object.entries({ host: 'ledger.test', ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}
