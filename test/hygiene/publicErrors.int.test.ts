// No server path reaches an API answer: schedule results and problems say what failed in plain words; the log keeps the path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { pino, type Logger as PinoLogger } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { publicMessage, withoutPaths } from '../../src/domain/publicMessage.js';
import { liveSources } from '../../src/exports/live.js';
import { parseExportSchedules } from '../../src/exports/schedules/config.js';
import { ExportScheduler } from '../../src/exports/schedules/scheduler.js';
import { registerProblemHandlers } from '../../src/http/problems.js';
import { StoreUnavailableError } from '../../src/store/port.js';
import { announce, clientOf, expectStatus, startTestLedger } from '../support/ledger.js';
import { anAnnouncement, registerProgrammes } from '../support/scenarios.js';

/** A string in a JSON answer, or a word in a message, that starts with an absolute path. */
const A_PATH = /(^|[\s"'(=])\/[\w.-]/;

/** mkdir -p through a file: ENOTDIR, or EEXIST when the file is the last part. */
const BLOCKED_DIRECTORY =
  /^(a file is where a directory should be on the server \(ENOTDIR\)|a file is in the way on the server \(EEXIST\))$/;

function aTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hygiene-errors-'));
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What Node throws for a failed system call: the code, and a message naming the path. */
function systemError(code: string, text: string, file: string): Error {
  return Object.assign(new Error(`${code}: ${text}, open '${file}'`), { code, errno: -1, syscall: 'open', path: file });
}

/** Log lines as objects. */
function aLog() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  // pino's logger, which is what the scheduler takes; an app built on it sees it as Fastify's logger type.
  const logger: PinoLogger = pino({ level: 'info' }, sink);
  return { logger, lines };
}

function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to fail');
}

describe('publicMessage', () => {
  it('says what a disk or file error means, with its code and without its path', () => {
    const file = '/var/lib/funding-ledger/exports/daily-20261125T060000Z-42.csv.tmp';

    expect(publicMessage(systemError('ENOSPC', 'no space left on device', file))).toBe('the disk is full (ENOSPC)');
    expect(publicMessage(systemError('EACCES', 'permission denied', file))).toBe('permission denied on the server (EACCES)');
    expect(publicMessage(systemError('EROFS', 'read-only file system', file))).toBe('the file system is read-only (EROFS)');
    expect(publicMessage(systemError('EIO', 'i/o error', file))).toBe('a disk input/output error (EIO)');
    expect(publicMessage(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }))).toBe(
      'a disk input/output error (SQLITE_IOERR_WRITE)',
    );
    expect(publicMessage(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }))).toBe(
      'the disk is full (SQLITE_FULL)',
    );
  });

  it('words real errors of this machine without their paths', () => {
    const dir = aTempDir();
    fs.writeFileSync(path.join(dir, 'a-file'), 'x');
    const missing = caught(() => fs.readFileSync(path.join(dir, 'missing.csv')));
    const blocked = caught(() => fs.mkdirSync(path.join(dir, 'a-file', 'exports'), { recursive: true }));

    expect((missing as Error).message).toContain(dir);
    expect(publicMessage(missing)).toBe('a file or directory the server needs does not exist (ENOENT)');
    expect(publicMessage(blocked)).toMatch(BLOCKED_DIRECTORY);
  });

  it('takes every absolute path out of any other message, and leaves the rest as it was', () => {
    expect(publicMessage(new Error("cannot write '/srv/ledger/data/exports/a.csv': quota"))).toBe("cannot write '(a path)': quota");
    expect(publicMessage(new Error('snapshot at /srv/ledger/data/snapshots/projections.v8 is stale'))).toBe(
      'snapshot at (a path) is stale',
    );
    expect(withoutPaths('open C:\\ledger\\data\\events.sqlite and file:///srv/x')).toBe('open (a path) and (a path)');
    expect(publicMessage(new Error('the event store went away mid-export'))).toBe('the event store went away mid-export');
    expect(publicMessage(new Error('no GBP/EUR rate on 2025-03-31; 1/2 done'))).toBe('no GBP/EUR rate on 2025-03-31; 1/2 done');
    expect(publicMessage('a string thrown at /tmp/x')).toBe('a string thrown at (a path)');
  });
});

describe('GET /exports/schedules after a run that failed on a real path', () => {
  it('names the failure in plain words, with no path of the data directory', async () => {
    const dir = aTempDir();
    const schedules = path.join(dir, 'schedules.json');
    fs.writeFileSync(
      schedules,
      JSON.stringify([{ name: 'daily', cron: '0 6 * * *', kind: 'announcements', directory: 'exports/daily', keep: 3 }]),
    );
    const ledger = await startTestLedger({ env: { EXPORT_SCHEDULES_FILE: schedules } });
    await registerProgrammes(ledger);
    await announce(ledger, anAnnouncement());
    // A file where the export directory should be: refused even to root, unlike a permission bit.
    fs.writeFileSync(path.join(ledger.dataDir, 'exports'), 'in the way');

    const result = await ledger.ledger.context.exports.schedules.runNow('daily');
    const reply = expectStatus(await clientOf(ledger, ledger.createKey('reader', ['read'])).get('/exports/schedules'), 200);

    expect(result).toMatchObject({ status: 'failed' });
    expect(reply.json.schedules[0].lastRun).toMatchObject({
      status: 'failed',
      file: null,
      error: expect.stringMatching(BLOCKED_DIRECTORY),
    });
    expect(reply.text).not.toContain(ledger.dataDir);
    expect(reply.text).not.toContain(fs.realpathSync(ledger.dataDir));
    expect(reply.text).not.toMatch(A_PATH);
  });

  it('keeps the path in the log', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);
    const directory = path.join(aTempDir(), 'exports');
    fs.writeFileSync(directory, 'in the way');
    const { logger, lines } = aLog();
    const scheduler = new ExportScheduler(
      parseExportSchedules([{ name: 'daily', cron: '0 6 * * *', kind: 'announcements', directory, keep: 3 }], ledger.dataDir),
      liveSources(ledger.ledger.context.store, ledger.ledger.context.projections),
      logger,
    );

    const result = await scheduler.runNow('daily');
    await scheduler.stop();

    const logged = lines.find((line) => line.msg === 'scheduled export failed; it runs again at the next slot') as {
      error: string;
      err: { message: string };
    };
    expect(result).toMatchObject({ status: 'failed', error: logged.error });
    expect(logged.error).not.toMatch(A_PATH);
    expect(logged.err.message).toContain(directory);
  });
});

describe('problems made of errors that name a path', () => {
  it('answer without the path, whatever the status, and log it', async () => {
    const file = '/srv/funding-ledger/data/events.sqlite';
    const { logger, lines } = aLog();
    const appLogger: FastifyBaseLogger = logger;
    const app = Fastify({ loggerInstance: appLogger });
    registerProblemHandlers(app);
    app.get('/plugin-4xx', async () => {
      throw Object.assign(systemError('ENOENT', 'no such file or directory', file), { statusCode: 404 });
    });
    app.get('/bad-request', async () => {
      throw Object.assign(new Error(`cannot read ${file}`), { statusCode: 400 });
    });
    app.get('/disk', async () => {
      throw Object.assign(new Error(`SQLITE_FULL: database or disk is full: ${file}`), { code: 'SQLITE_FULL' });
    });
    app.get('/store', async () => {
      throw new StoreUnavailableError(`the event store at ${file} is closed`);
    });
    onTestFinished(() => app.close());

    const replies = await Promise.all(['/plugin-4xx', '/bad-request', '/disk', '/store'].map((url) => app.inject({ url })));

    expect(replies.map((reply) => reply.statusCode)).toEqual([404, 400, 500, 503]);
    expect(replies.map((reply) => reply.json<{ detail: string }>().detail)).toEqual([
      'a file or directory the server needs does not exist (ENOENT)',
      'cannot read (a path)',
      'an unexpected error occurred; it has been logged',
      expect.stringMatching(/^the event store is unavailable/),
    ]);
    for (const reply of replies) expect(reply.body).not.toContain('/srv/');
    expect(JSON.stringify(lines)).toContain(file);
  });
});
