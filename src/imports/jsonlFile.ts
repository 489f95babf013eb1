// Reads JSON Lines: each line a POST /announcements body, optionally with what the API shows beside it, or a
// commitment or disbursement (flowFile.ts).
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { FileItem } from './candidate.js';
import { flowCandidateOfLine } from './flowFile.js';
import { fieldPath } from './problems.js';

export async function* readJsonlFile(input: Readable): AsyncGenerator<FileItem> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line += 1;
    const json = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
    if (json === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (error) {
      yield { kind: 'unreadable', problem: { line, field: '(line)', message: `is not JSON: ${(error as Error).message}` } };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { kind: 'unreadable', problem: { line, field: '(line)', message: 'must be one announcement as a JSON object' } };
      continue;
    }
    // A commitment or disbursement says which: announcement bodies have no `kind`.
    if ('kind' in value) {
      yield flowCandidateOfLine(value, line);
      continue;
    }
    // What GET /announcements shows beside the body comes out before validation, so a line of that output imports
    // as it is; `revision` belongs to the ledger it came from and is not imported.
    const { status, withdrawalReason, programmeName, revision: _revision, ...body } = value as Record<string, unknown>;
    const at = line;
    yield {
      kind: 'announcement',
      lines: [at],
      body,
      status,
      withdrawalReason,
      programmeName,
      problems: [],
      locate: (path) => ({ line: at, field: fieldPath(path) || '(root)' }),
    };
  }
}
