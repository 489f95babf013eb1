// Baseline for replay: reading every row of the events table with better-sqlite3 and JSON-parsing data and
// metadata, nothing else; the ceiling a rebuild of the projections could reach on this store. The rows come in the
// cheapest form the driver has (arrays, plain numbers), faster than the store's own reads, so the ratio is not flattered.
import path from 'node:path';
import Database from 'better-sqlite3';

export interface RawReadResult {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** A row in raw mode (an array, not an object), integers as plain numbers: the cheapest form better-sqlite3 gives. */
type Row = [position: number, stream: string, revision: number, id: string, type: string, data: string, metadata: string];

const { dataDir } = JSON.parse(process.argv[2] ?? '{}') as { dataDir: string };
const db = new Database(path.join(dataDir, 'events.sqlite'), { fileMustExist: true });
try {
  const rows = db.prepare<[], Row>('SELECT position, stream, revision, id, type, data, metadata FROM events ORDER BY position').raw(true);
  const started = performance.now();
  let count = 0;
  let keys = 0;
  for (const row of rows.iterate()) {
    const data = JSON.parse(row[5]) as Record<string, unknown>;
    const metadata = JSON.parse(row[6]) as Record<string, unknown>;
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
