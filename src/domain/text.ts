// Free text the ledger takes (titles, reasons, names): which characters it refuses, and how to say so.

/**
 * C0 controls but tab and newline, DEL, and the bidirectional embeddings, overrides and isolates: invisible
 * characters that truncate text in other systems (NUL) or make it read differently from what it holds (U+202E).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN = /[\u0000-\u0008\u000B-\u001F\u007F\u202A-\u202E\u2066-\u2069]/u;

function kindOf(codePoint: number): string {
  if (codePoint <= 0x1f || codePoint === 0x7f) return 'a control character';
  if (codePoint === 0x202d || codePoint === 0x202e) return 'a bidirectional override';
  if (codePoint >= 0x2066) return 'a bidirectional isolate';
  return 'a bidirectional embedding';
}

/**
 * Why the text is refused, naming its first forbidden code point ("must not contain U+202E (a bidirectional override)");
 * undefined when clean.
 */
export function forbiddenCharacterProblem(text: string): string | undefined {
  const match = FORBIDDEN.exec(text);
  if (match === null) return undefined;
  const codePoint = match[0].codePointAt(0) as number;
  return `must not contain U+${codePoint.toString(16).toUpperCase().padStart(4, '0')} (${kindOf(codePoint)})`;
}
