// The offline audit file: JSON Lines in position order plus a manifest, written as a stream and checked from the file alone.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventHash } from '../../src/audit/chain.js';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { auditIdentityOf } from '../../src/audit/checkpoints.js';
import { EXPORT_FORMAT, eventsOfExport, exportLines, verifyExportFile, type ExportManifest } from '../../src/audit/exportFile.js';
import type { EventStore, RecordedEvent } from '../../src/store/port.js';
import { leafOf } from '../../src/audit/journalTree.js';
import { MerkleTree } from '../../src/audit/merkle.js';
import { generateSignerKey } from '../../src/audit/signedNote.js';
import { asAsync, ChainedLog } from './chainedLog.js';

/** The ledger's signing identity in these tests. */
const identity = auditIdentityOf(generateSignerKey('funding-ledger/export-test'));

/** The checkpoint the ledger signs over exactly these events. */
function checkpointOver(events: readonly RecordedEvent[]): string {
  const tree = new MerkleTree();
  for (const event of events) tree.append(leafOf(event));
  return signCheckpoint({ origin: identity.origin, treeSize: events.length, rootHash: tree.root() }, identity.signer);
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** A store that only reads: exportLines needs nothing else. */
function storeOf(events: () => AsyncIterable<RecordedEvent>): EventStore {
  return { readAll: events } as unknown as EventStore;
}

/** Programme A (revisions 0-2) and B (0-1), interleaved: positions 1 A0, 2 B0, 3 A1, 4 B1, 5 A2. */
function aLedger(): RecordedEvent[] {
  const log = new ChainedLog();
  for (const stream of ['programme-a', 'programme-b', 'programme-a', 'programme-b', 'programme-a'])
    log.append(stream, 'ProgrammeRenamed', { title: `£ ${log.events.length}` });
  return log.events;
}

async function linesOf(events: readonly RecordedEvent[]): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of exportLines(
    storeOf(() => asAsync(events)),
    identity,
  ))
    lines.push(line);
  return lines;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-export-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeExport(lines: readonly string[], name = 'ledger.jsonl'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join(''));
  return file;
}

/** Replaces line `index` (0-based) with `change` applied to what it parses to. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function rewriteLine(lines: string[], index: number, change: (parsed: any) => object): void {
  lines[index] = `${JSON.stringify(change(JSON.parse(lines[index]!)))}\n`;
}

/** The file fails: the first break is at this event of programme-a, and the manifest has exactly these problems. */
function expectBreakInProgrammeA(
  report: Awaited<ReturnType<typeof verifyExportFile>>,
  event: { revision: string; position: string; problem: unknown },
  manifestProblems: readonly string[],
): void {
  expect(report.ok).toBe(false);
  expect(report.firstBreak).toMatchObject({ stream: 'programme-a', ...event });
  expect(report.manifestProblems).toEqual(manifestProblems);
}

describe('exportLines', () => {
  it('writes one event a line in position order, then a manifest whose sha256 covers every event line and whose checkpoint covers exactly those events', async () => {
    const events = aLedger();

    const lines = await linesOf(events);

    expect(lines).toHaveLength(6);
    for (const line of lines) expect(line.endsWith('\n') && !line.slice(0, -1).includes('\n')).toBe(true);
    const parsed = lines.slice(0, 5).map((line) => JSON.parse(line));
    expect(parsed.map((event) => event.position)).toEqual(['1', '2', '3', '4', '5']);
    expect(parsed[2]).toEqual({
      position: '3',
      stream: 'programme-a',
      revision: '1',
      id: events[2]!.id,
      type: 'ProgrammeRenamed',
      data: { title: '£ 2' },
      metadata: events[2]!.metadata,
    });
    const manifest = JSON.parse(lines[5]!) as ExportManifest;
    expect(manifest).toEqual({
      format: EXPORT_FORMAT,
      count: 5,
      lastPosition: '5',
      chainHeads: { 'programme-a': events[4]!.metadata.hash, 'programme-b': events[3]!.metadata.hash },
      sha256: sha256(lines.slice(0, 5).join('')),
      checkpoint: checkpointOver(events),
      verifierKey: identity.verifierKeyText,
    });
  });

  it('exports an empty ledger as a manifest alone', async () => {
    const lines = await linesOf([]);

    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        format: EXPORT_FORMAT,
        count: 0,
        lastPosition: null,
        chainHeads: {},
        sha256: sha256(''),
        checkpoint: checkpointOver([]),
        verifierKey: identity.verifierKeyText,
      },
    ]);
  });

  it('streams 20,000 events without reading ahead: each line is made from the one event read for it', async () => {
    const total = 20_000;
    let read = 0;
    const log = new ChainedLog();
    async function* lazily(): AsyncGenerator<RecordedEvent> {
      for (let n = 0; n < total; n += 1) {
        read += 1;
        // Made only when asked for, and forgotten by the log once handed over: nothing here holds the ledger.
        yield log.append(`announcement-${n % 250}`, 'FundingAmended', { n });
        log.events.length = 0;
      }
    }
    const lines = exportLines(storeOf(lazily), identity);
    const hash = createHash('sha256');
    let count = 0;
    let manifest: ExportManifest | undefined;

    for (;;) {
      const next = await lines.next();
      if (next.done) break;
      if (count === total) {
        manifest = JSON.parse(next.value) as ExportManifest;
        continue;
      }
      count += 1;
      expect(read).toBe(count);
      hash.update(next.value);
    }

    expect(count).toBe(total);
    expect(manifest).toMatchObject({ count: total, lastPosition: String(total), sha256: hash.digest('hex') });
    expect(Object.keys(manifest!.chainHeads)).toHaveLength(250);
  });
});

describe('eventsOfExport', () => {
  it('reads back the events as recorded, and hands over the manifest with the digest of the lines it read', async () => {
    const events = aLedger();
    const lines = await linesOf(events);
    const file = writeExport(lines);
    const read: RecordedEvent[] = [];
    let seen: { manifest: ExportManifest; digest: string } | undefined;

    for await (const event of eventsOfExport(file, (manifest, digest) => (seen = { manifest, digest }))) read.push(event);

    expect(read).toEqual(events);
    expect(seen?.manifest).toEqual(JSON.parse(lines[5]!));
    expect(seen?.digest).toBe(seen?.manifest.sha256);
  });
});

describe('verifyExportFile checks a file alone', () => {
  it('passes an intact export', async () => {
    const file = writeExport(await linesOf(aLedger()));

    const report = await verifyExportFile(file);

    expect(report).toMatchObject({
      ok: true,
      events: 5,
      streams: 2,
      lastPosition: '5',
      firstBreak: undefined,
      breaks: 0,
      manifestProblems: [],
      earlier: null,
    });
    expect(report.checkpoint).toMatchObject({ status: 'verified', origin: identity.origin, treeSize: 5, problems: [] });
    expect(report.checkpoint.signature).toEqual({
      verified: true,
      key: expect.stringMatching(/^funding-ledger\/export-test\+[0-9a-f]{8}$/),
      keySource: 'manifest',
      problem: null,
    });
  });

  it('passes a streamed export of 20,000 events', async () => {
    const log = new ChainedLog();
    for (let n = 0; n < 20_000; n += 1) log.append(`announcement-${n % 100}`, 'FundingAmended', { n });
    const file = path.join(dir, 'big.jsonl');
    await pipeline(
      Readable.from(
        exportLines(
          storeOf(() => asAsync(log.events)),
          identity,
        ),
      ),
      createWriteStream(file),
    );

    const report = await verifyExportFile(file);

    expect(report).toMatchObject({ ok: true, events: 20_000, streams: 100, lastPosition: '20000', manifestProblems: [] });
  });

  it('fails a file with one event line edited: names the event, and the digest no longer matches', async () => {
    const lines = await linesOf(aLedger());
    rewriteLine(lines, 2, (event) => ({ ...event, data: { ...event.data, title: '£ 2000000' } }));

    const report = await verifyExportFile(writeExport(lines));

    expectBreakInProgrammeA(report, { revision: '1', position: '3', problem: expect.stringMatching(/hash does not match/) }, [
      'manifest sha256 does not match the event lines',
    ]);
  });

  it('fails a file edited and re-hashed consistently, line and manifest digest alike: the next event of the stream gives it away', async () => {
    const lines = await linesOf(aLedger());
    rewriteLine(lines, 2, (event) => {
      const forged = { ...event, data: { ...event.data, title: '£ 2000000' } };
      return { ...forged, metadata: { ...forged.metadata, hash: eventHash({ ...forged, revision: BigInt(forged.revision) }) } };
    });
    rewriteLine(lines, 5, (manifest) => ({ ...manifest, sha256: sha256(lines.slice(0, 5).join('')) }));

    const report = await verifyExportFile(writeExport(lines));

    expectBreakInProgrammeA(report, { revision: '2', position: '5', problem: expect.stringMatching(/prevHash/) }, []);
  });

  it('fails a file with a line removed: the gap in the stream, the count and the digest', async () => {
    const lines = await linesOf(aLedger());
    lines.splice(2, 1);

    const report = await verifyExportFile(writeExport(lines));

    expectBreakInProgrammeA(report, { revision: '2', position: '5', problem: 'revision 2 where 1 was expected' }, [
      'manifest count 5 but the file holds 4 events',
      'manifest sha256 does not match the event lines',
    ]);
  });

  it('fails a file whose last event was removed: no chain breaks, but count, last position, digest and chain head disagree', async () => {
    const lines = await linesOf(aLedger());
    lines.splice(4, 1);

    const report = await verifyExportFile(writeExport(lines));

    expect(report.ok).toBe(false);
    expect(report.firstBreak).toBeUndefined();
    expect(report.manifestProblems).toEqual([
      'manifest count 5 but the file holds 4 events',
      'manifest lastPosition 5 but the last event is at 4',
      'manifest sha256 does not match the event lines',
      'chain heads differ for 1 stream(s), first programme-a',
    ]);
  });

  it.each<[string, (manifest: ExportManifest) => object, string]>([
    ['a wrong count', (m) => ({ ...m, count: 6 }), 'manifest count 6 but the file holds 5 events'],
    ['a wrong last position', (m) => ({ ...m, lastPosition: '9' }), 'manifest lastPosition 9 but the last event is at 5'],
    ['a wrong digest', (m) => ({ ...m, sha256: sha256('something else') }), 'manifest sha256 does not match the event lines'],
    [
      'a wrong chain head',
      (m) => ({ ...m, chainHeads: { ...m.chainHeads, 'programme-b': '0'.repeat(64) } }),
      'chain heads differ for 1 stream(s), first programme-b',
    ],
    [
      'an extra chain head',
      (m) => ({ ...m, chainHeads: { ...m.chainHeads, 'programme-z': '0'.repeat(64) } }),
      'chain heads differ for 1 stream(s), first programme-z',
    ],
  ])('fails a manifest with %s, naming it', async (_what, change, problem) => {
    const lines = await linesOf(aLedger());
    rewriteLine(lines, 5, change);

    const report = await verifyExportFile(writeExport(lines));

    expect(report.ok).toBe(false);
    expect(report.firstBreak).toBeUndefined();
    expect(report.manifestProblems).toEqual([problem]);
  });

  it('refuses a file without its manifest line, an empty file, and a line that is not an event, naming the line', async () => {
    const lines = await linesOf(aLedger());
    const withLine2 = (line: string, name: string): string => writeExport([lines[0]!, line, ...lines.slice(2)], name);
    const badRevision = { ...JSON.parse(lines[1]!), revision: 'one' };

    await expect(verifyExportFile(writeExport(lines.slice(0, 5), 'no-manifest.jsonl'))).rejects.toThrow(
      /the last line is not a .* manifest/,
    );
    await expect(verifyExportFile(writeExport([], 'empty.jsonl'))).rejects.toThrow(/is empty/);
    await expect(verifyExportFile(withLine2('{"position": "2", oops\n', 'garbled.jsonl'))).rejects.toThrow(/^line 2 is not JSON/);
    await expect(verifyExportFile(withLine2('null\n', 'null.jsonl'))).rejects.toThrow('line 2 is not a JSON object');
    await expect(verifyExportFile(withLine2(`${JSON.stringify(badRevision)}\n`, 'revision.jsonl'))).rejects.toThrow(
      'line 2 is not an event of this export format',
    );
  });
});
