// What an error may tell a client: plain words for disk and file errors, and never a server path; the log keeps the detail.

/** System and SQLite error codes, in words a client can act on (or pass to the operator); the code stays for the log search. */
const PLAIN_WORDS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EACCES: 'permission denied on the server',
  EPERM: 'operation not permitted on the server',
  EROFS: 'the file system is read-only',
  EIO: 'a disk input/output error',
  ENOENT: 'a file or directory the server needs does not exist',
  EEXIST: 'a file is in the way on the server',
  ENOTDIR: 'a file is where a directory should be on the server',
  EISDIR: 'a directory is where a file should be on the server',
  EMFILE: 'the server has too many open files',
  ENFILE: 'the server has too many open files',
  SQLITE_FULL: 'the disk is full',
  SQLITE_READONLY: 'the event store is read-only',
  SQLITE_IOERR: 'a disk input/output error',
  SQLITE_CANTOPEN: 'the event store file cannot be opened',
};

/**
 * An absolute path: POSIX (`/var/lib/ledger/x`), Windows (`C:\data`), or a file: URL, starting at the beginning of
 * the text or after a space, quote, bracket or `=`; so "GBP/EUR" and "1/2" are left alone.
 */
const ABSOLUTE_PATH = /(^|[\s'"`([{=])(?:file:\/\/|[A-Za-z]:[\\/]|[\\/])[^\s'"`)\]},;]*/g;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  // SQLite's extended codes (SQLITE_IOERR_WRITE) mean what their primary code means.
  return PLAIN_WORDS[code] !== undefined
    ? code
    : Object.keys(PLAIN_WORDS).find((known) => known.startsWith('SQLITE_') && code.startsWith(`${known}_`));
}

/** Replaces every absolute path in a text by "(a path)". */
export function withoutPaths(text: string): string {
  return text.replace(ABSOLUTE_PATH, '$1(a path)');
}

/** The text of an error as a client may see it: "the disk is full (ENOSPC)", or the message with every path taken out. */
export function publicMessage(error: unknown): string {
  const code = codeOf(error);
  const raw = (error as { code?: unknown } | null)?.code;
  if (code !== undefined) return `${PLAIN_WORDS[code]} (${String(raw)})`;
  return withoutPaths(error instanceof Error ? error.message : String(error));
}
