// Baseline for replay: reading every row of the events table with better-sqlite3 and JSON-parsing data and
// metadata, nothing else; the ceiling a rebuild of the projections could reach on this store.
import path from 'node:path';
import Database from 'better-sqlite3';

export interface RawReadResult {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

interface Row {
  readonly position: bigint;
  readonly stream: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

const { dataDir } = JSON.parse(process.argv[2] ?? '{}') as { dataDir: string };
const db = new Database(path.join(dataDir, 'events.sqlite'), { fileMustExist: true });
try {
  db.defaultSafeIntegers(true);
  const rows = db.prepare<[], Row>('SELECT position, stream, revision, id, type, data, metadata FROM events ORDER BY position');
  const started = performance.now();
  let count = 0;
  let keys = 0;
  for (const row of rows.iterate()) {
    const data = JSON.parse(row.data) as Record<string, unknown>;
    const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
    // Touch the parsed values so the work cannot be optimised away.
    keys += (data.announcementId === undefined ? 0 : 1) + (metadata.hash === undefined ? 0 : 1);
    count += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  if (keys < 0) throw new Error('unreachable');
  const result: RawReadResult = { rows: count, seconds: Math.round(seconds * 1000) / 1000, rowsPerSecond: Math.round(count / seconds) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  db.close();
}
