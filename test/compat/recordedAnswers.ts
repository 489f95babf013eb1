// The recorded answers of a previous release's ledger: their manifest, where they live, and the one rule for volatile fields.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/previous-release: the store, its signing key and the answers recorded from them. */
export const PREVIOUS_RELEASE_DIR = fileURLToPath(new URL('../fixtures/previous-release/', import.meta.url));

/** The files of the fixture's data directory, as the ledger lays them out under DATA_DIR. */
export const STORE_FILE = 'events.sqlite';
export const SIGNING_KEY_FILE = join('audit', 'signing.key');

/** Headers compared with the recorded ones; the others (date, request id, security headers) say nothing about the data. */
export const COMPARED_HEADERS = ['content-type', 'content-disposition', 'etag', 'x-ledger-position', 'cache-control'] as const;

/** The service's settings for the script's runs and the test's: no overload guard or heavy-read budget gets between the script and its answers. */
export const FIXTURE_ENV: Record<string, string> = {
  LEDGER_ID: 'previous-release-fixture',
  SNAPSHOT_EVERY_EVENTS: '0',
  HEAVY_READS_PER_MINUTE: '0',
  HEAVY_PER_CLIENT: '1000',
  MAX_EVENT_LOOP_DELAY_MS: '600000',
  MAX_HEAP_USED_BYTES: '0',
  MAX_RSS_BYTES: '0',
};

/** One read asked of the fixture ledger, and its answer as recorded. */
export interface RecordedAnswer {
  /** Unique, also the stem of the body's file name. */
  readonly name: string;
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly path: string;
  /** Request headers besides the key, e.g. If-None-Match. */
  readonly headers?: Record<string, string>;
  readonly status: number;
  /** The COMPARED_HEADERS the answer carried; a header absent here must be absent from the answer too. */
  readonly responseHeaders: Partial<Record<(typeof COMPARED_HEADERS)[number], string>>;
  /** The body's file under answers/, byte for byte after masking. */
  readonly file: string;
  /**
   * JSON number fields that measure the run rather than the data (the replay's speed and duration): their values are
   * replaced by "(volatile)" in both the recorded and the live body. Every name listed must be found in the body.
   */
  readonly volatileNumbers?: readonly string[];
}

export interface RecordedAnswers {
  /** The release (commit) whose code wrote the store and answered. */
  readonly recordedBy: string;
  readonly answers: readonly RecordedAnswer[];
}

export function readRecordedAnswers(): RecordedAnswers {
  return JSON.parse(readFileSync(join(PREVIOUS_RELEASE_DIR, 'answers.json'), 'utf8')) as RecordedAnswers;
}

/** The body with each volatile number replaced; throws when one is missing, so a mask never hides a field silently. */
export function maskVolatile(body: string, volatileNumbers: readonly string[] = []): string {
  let masked = body;
  for (const field of volatileNumbers) {
    const pattern = new RegExp(`"${field}":-?[0-9][0-9.eE+-]*`, 'g');
    if (masked.search(pattern) === -1) throw new Error(`the volatile field ${field} is not a number in the body`);
    masked = masked.replace(pattern, `"${field}":"(volatile)"`);
  }
  return masked;
}
