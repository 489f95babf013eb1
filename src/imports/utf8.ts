// Refuses an import file that is not UTF-8, naming the physical line of the first bad byte, before any row is used.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { ImportFileError } from './problems.js';

const NEWLINE = 0x0a;

/**
 * Passes the bytes through unchanged and checks them line by line with a fatal decoder. A newline byte never occurs
 * inside a UTF-8 sequence, so a sequence cut short by one is itself the error, and lines are counted on bytes alone.
 * Without this a Latin-1 file would import with U+FFFD in place of every accented letter.
 */
class Utf8Check extends Transform {
  private line = 1;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      if (!this.decodes(chunk.subarray(start, end), false)) return done(this.refusal());
      this.line += 1;
      start = end + 1;
    }
    // The rest of the line may end in the next chunk, with the rest of a character.
    if (!this.decodes(chunk.subarray(start), true)) return done(this.refusal());
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    done(this.decodes(new Uint8Array(0), false) ? null : this.refusal());
  }

  private decodes(bytes: Uint8Array, more: boolean): boolean {
    try {
      this.decoder.decode(bytes, { stream: more });
      return true;
    } catch (_error) {
      return false;
    }
  }

  private refusal(): ImportFileError {
    return new ImportFileError(
      `line ${this.line}: the file is not valid UTF-8; save it as UTF-8 (in Excel: "CSV UTF-8") and import it again`,
    );
  }
}

/** The same bytes, failing with an ImportFileError at the first one that is not UTF-8; an error of `input` is passed on. */
export function checkedUtf8(input: Readable): Readable {
  const check = new Utf8Check();
  input.on('error', (error) => check.destroy(error));
  return input.pipe(check);
}
