// The per-request logger: lines carry the request id, disabled levels write nothing, and the level follows the service's.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger } from '../../src/http/requestLogger.js';

function aServiceLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, destination), lines };
}

describe('the request logger', () => {
  it('writes the enabled levels with the request id, and nothing below the service level', () => {
    const { logger, lines } = aServiceLogger('warn');
    const request = lazyChildLogger(logger, { requestId: 'r-1' }, {});

    request.info({ status: 200 }, 'request');
    request.debug('detail');
    request.warn({ status: 503 }, 'overloaded');
    request.error(new Error('boom'), 'request failed');

    expect(request.level).toBe('warn');
    expect(lines.map((l) => [l.msg, l.requestId, l.status])).toEqual([
      ['overloaded', 'r-1', 503],
      ['request failed', 'r-1', undefined],
    ]);
    expect((lines[1]?.err as { message: string }).message).toBe('boom');
  });

  it('writes info lines at info, passes its bindings to its own children, and takes a level of its own', () => {
    const { logger, lines } = aServiceLogger('info');
    const request = lazyChildLogger(logger, { requestId: 'r-2' }, {});

    request.info({ method: 'GET' }, 'request');
    request.child({ part: 'export' }).info('written');
    request.level = 'error';
    request.warn('dropped');

    expect(lines.map((l) => [l.msg, l.requestId, l.method, l.part])).toEqual([
      ['request', 'r-2', 'GET', undefined],
      ['written', 'r-2', undefined, 'export'],
    ]);
    expect(lazyChildLogger(logger, { requestId: 'r-3' }, { level: 'debug' }).level).toBe('debug');
  });
});
