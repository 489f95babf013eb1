// CSV text from an export's rows: RFC 4180 through csv-stringify, streamed with backpressure, every cell neutralised.
import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { sliced } from '../runtime/timeSlice.js';
import { neutraliseFormula, type ExportKind } from '../schemas/csv.js';

/** One export, ready to stream: the position it reflects is known before the first row is written. */
export interface CsvExport {
  readonly kind: ExportKind;
  /** The global position the rows reflect, as text ("0" before the first event). */
  readonly position: string;
  readonly columns: readonly string[];
  /** Raw cell text in column order; pulled one row at a time, never collected. */
  readonly rows: AsyncIterable<readonly string[]>;
}

export interface CsvOptions {
  /** Start with a UTF-8 byte order mark, so Excel reads the file as UTF-8. */
  readonly bom?: boolean | undefined;
  /** Called after each data row is handed to the stringifier (for counts and progress). */
  readonly onRow?: (rows: number) => void;
}

/**
 * CRLF ends every record, as RFC 4180 says and as Excel and LibreOffice expect. A cell holding a line break or a
 * carriage return is quoted (csv-stringify stops doing that by itself once the delimiter is set, hence the option).
 */
const STRINGIFY_OPTIONS = { record_delimiter: '\r\n', quote_record_delimiter: true, eof: true } as const;

async function* recordsOf(csv: CsvExport, onRow: ((rows: number) => void) | undefined): AsyncGenerator<string[]> {
  yield [...csv.columns];
  let count = 0;
  // In slices: rows come from the read models and the store as fast as a fast reader takes them, which would hold
  // the event loop for seconds; between slices other clients are served.
  for await (const row of sliced(csv.rows)) {
    yield row.map(neutraliseFormula);
    count += 1;
    onRow?.(count);
  }
}

/**
 * The export as a readable stream of UTF-8 CSV: header row, then one record per row. Rows are pulled only as fast as
 * the reader takes the text, so memory stays flat however long the export; a failing row source fails the stream.
 */
export function csvStream(csv: CsvExport, options: CsvOptions = {}): Readable {
  const stringifier = stringify({ ...STRINGIFY_OPTIONS, bom: options.bom === true });
  // Errors destroy every stage; whoever reads the stringifier sees them, so the callback has nothing left to do.
  return pipeline(Readable.from(recordsOf(csv, options.onRow)), stringifier, () => undefined);
}
