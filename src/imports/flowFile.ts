// Commitments and disbursements in an import file: read from a CSV row or a JSON Lines line, validated as the
// API's bodies, and identified by their content so that importing a file twice records each once.
import { canonicalJson } from '../domain/canonicalJson.js';
import type { CommitFunding, DisburseFunding } from '../commands/announcement/decide.js';
import {
  commitBodySchema,
  disburseBodySchema,
  importedFlowAnnouncementSchema,
  importedFlowKindSchema,
  type CommitBody,
  type DisburseBody,
} from '../schemas/announcements.js';
import { FLOW_COLUMNS, restoreNeutralised, type FlowColumn } from '../schemas/csv.js';
import { sha256 } from './content.js';
import { fieldPath, type RowProblem } from './problems.js';

export type FlowKind = 'commitment' | 'disbursement';

/** One commitment or disbursement as the file gives it, before validation. */
export interface FlowCandidate {
  readonly kind: 'flow';
  readonly line: number;
  /** `{ kind, announcement, value, on, country?, reason?, source? }`: the POST body with the kind and announcement beside it. */
  readonly body: Record<string, unknown>;
  locate(path: readonly PropertyKey[]): { line: number; field: string };
}

export interface ValidFlow {
  readonly line: number;
  readonly kind: FlowKind;
  readonly announcementId: string;
  readonly request: CommitBody | DisburseBody;
  readonly locate: FlowCandidate['locate'];
}

export interface IdentifiedFlow extends ValidFlow {
  /** The idempotency key of its event: `import:<kind>:` + SHA-256 of its content + `:` + its occurrence in the file. */
  readonly key: string;
  readonly requestHash: string;
}

const optional = (cell: string): string | undefined => (cell === '' ? undefined : cell);

/** Body paths -> the column that holds them. */
const COLUMN_OF_PATH: Record<string, FlowColumn> = {
  source: 'sourceUrl',
  'source.url': 'sourceUrl',
  'source.publisher': 'sourcePublisher',
  'source.publishedOn': 'sourcePublishedOn',
};

export function flowCandidateOfRow(header: readonly string[], record: readonly string[], line: number): FlowCandidate {
  const given = new Map(header.map((name, index) => [name, restoreNeutralised(record[index] ?? '')]));
  const cell = (column: FlowColumn): string | undefined => optional(given.get(column) ?? '');
  const source = { url: cell('sourceUrl'), publisher: cell('sourcePublisher'), publishedOn: cell('sourcePublishedOn') };
  const body: Record<string, unknown> = {
    kind: cell('kind'),
    announcement: cell('announcement'),
    value: cell('value'),
    on: cell('on'),
    ...(cell('country') !== undefined && { country: cell('country') }),
    ...(cell('reason') !== undefined && { reason: cell('reason') }),
    ...(Object.values(source).some((value) => value !== undefined) && { source }),
  };
  return {
    kind: 'flow',
    line,
    body,
    locate(path) {
      const column = COLUMN_OF_PATH[path.filter((part) => typeof part === 'string').join('.')];
      const head = path[0];
      if (column !== undefined) return { line, field: column };
      return { line, field: typeof head === 'string' && (FLOW_COLUMNS as readonly string[]).includes(head) ? head : '(row)' };
    },
  };
}

/** A JSON Lines line with a `kind` is a flow: `{ "kind": "commitment", "announcement": "<id>", "value": ..., "on": ... }`. */
export function flowCandidateOfLine(body: Record<string, unknown>, line: number): FlowCandidate {
  return { kind: 'flow', line, body, locate: (path) => ({ line, field: fieldPath(path) || '(root)' }) };
}

export function validateFlow(
  candidate: FlowCandidate,
): { readonly ok: true; readonly flow: ValidFlow } | { readonly ok: false; readonly problems: readonly RowProblem[] } {
  const { kind, announcement, ...request } = candidate.body;
  const problems: RowProblem[] = [];
  const at = (path: readonly PropertyKey[], message: string): void => void problems.push({ ...candidate.locate(path), message });
  const parsedKind = importedFlowKindSchema.safeParse(kind);
  if (!parsedKind.success) at(['kind'], kind === undefined ? 'is required' : (parsedKind.error.issues[0]?.message ?? 'is invalid'));
  const parsedAnnouncement = importedFlowAnnouncementSchema.safeParse(announcement);
  if (!parsedAnnouncement.success)
    at(['announcement'], announcement === undefined ? 'is required' : (parsedAnnouncement.error.issues[0]?.message ?? 'is invalid'));
  const schema = parsedKind.data === 'disbursement' ? disburseBodySchema : commitBodySchema;
  const parsed = schema.safeParse(request);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') for (const key of issue.keys) at([...issue.path, key], 'is not a known field');
      else at(issue.path, issue.path.length === 1 && request[String(issue.path[0])] === undefined ? 'is required' : issue.message);
    }
  }
  if (problems.length > 0 || !parsed.success || parsedKind.data === undefined || parsedAnnouncement.data === undefined) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    flow: {
      line: candidate.line,
      kind: parsedKind.data,
      announcementId: parsedAnnouncement.data,
      request: parsed.data,
      locate: (path) => candidate.locate(path),
    },
  };
}

/**
 * Flows carry no id, so their content is their identity; two equal flows in one file (two payments of the same
 * value on the same day) are told apart by their occurrence, counted in file order: `occurrence` is 1 for the first.
 */
export function identifyFlow(flow: ValidFlow, occurrence: (content: string) => number): IdentifiedFlow {
  const content = canonicalJson({ kind: flow.kind, announcement: flow.announcementId, ...withoutUndefined(flow.request) });
  const requestHash = sha256(content);
  return { ...flow, requestHash, key: `import:${flow.kind}:${requestHash}:${occurrence(content)}` };
}

function withoutUndefined(value: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined));
}

export function flowCommandOf(flow: IdentifiedFlow): CommitFunding | DisburseFunding {
  const data = { announcementId: flow.announcementId, ...flow.request };
  return flow.kind === 'commitment' ? { type: 'CommitFunding', data } : { type: 'DisburseFunding', data };
}
