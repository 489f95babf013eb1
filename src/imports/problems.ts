// What an import says about a file: each bad row by its physical line (the header is line 1), field and reason.

export interface RowProblem {
  readonly line: number;
  /** A CSV column (`amount`, `allocationValue`), or for JSON Lines the body path as the API names it. */
  readonly field: string;
  readonly message: string;
}

export function describeProblem(problem: RowProblem): string {
  return `line ${problem.line}: ${problem.field}: ${problem.message}`;
}

/** In file order; one line each, however many checks found the same thing. */
export function sortedProblems(problems: readonly RowProblem[]): RowProblem[] {
  const seen = new Set<string>();
  return [...problems]
    .sort((a, b) => a.line - b.line)
    .filter((problem) => {
      const text = describeProblem(problem);
      if (seen.has(text)) return false;
      seen.add(text);
      return true;
    });
}

/** The file as a whole cannot be read (bad header, broken quoting): nothing in it is imported. */
export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';
}

/** `allocations[1].value` -> ['allocations', 1, 'value']: rule errors name fields as text, zod issues as paths. */
export function pathOf(field: string): PropertyKey[] {
  return field.split('.').flatMap((part) => {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!match) return [part];
    const indexes = [...(match[2] ?? '').matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
    return [...(match[1] ? [match[1]] : []), ...indexes];
  });
}

/** The API's way of naming a body path (problems.ts): `allocations[1].value`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}
