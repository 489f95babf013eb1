// Helpers for the export tests: run an export to text or bytes, and read CSV back with csv-parse.
import { parse } from 'csv-parse/sync';
import { csvStream, type CsvExport, type CsvOptions } from '../../src/exports/csv.js';

export async function bytesOf(csv: CsvExport, options: CsvOptions = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of csvStream(csv, options)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, 'utf8'));
  return Buffer.concat(chunks);
}

export async function textOf(csv: CsvExport, options: CsvOptions = {}): Promise<string> {
  return (await bytesOf(csv, options)).toString('utf8');
}

/** Every record, the header first, as a strict RFC 4180 reader sees it. */
export function recordsOf(text: string): string[][] {
  const records: string[][] = parse(text, { bom: true, relax_column_count: false });
  return records;
}

/** Data rows as objects keyed by the header. */
export function rowsOf(text: string): Record<string, string>[] {
  return parse<Record<string, string>>(text, { bom: true, columns: true });
}

export function anExport(columns: readonly string[], rows: readonly (readonly string[])[]): CsvExport {
  return {
    kind: 'events',
    position: '7',
    columns,
    rows: (async function* () {
      yield* rows;
    })(),
  };
}
