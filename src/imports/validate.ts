// Validates one announcement of an import file exactly as POST /announcements does, plus what the export adds.
import { z } from 'zod';
import type { AnnouncementFields, Restatement } from '../commands/announcement/events.js';
import { parseAllocationValues } from '../commands/announcement/allocations.js';
import { requestedRestatements, type RestatementValue } from '../commands/announcement/restatements.js';
import { brokenRules } from '../commands/announcement/rules.js';
import { ValidationError } from '../domain/errors.js';
import type { CurrencyCode } from '../domain/money.js';
import { announceBodySchema, withdrawBodySchema, type AnnounceBody } from '../schemas/announcements.js';
import { registerProgrammeBodySchema } from '../schemas/programmes.js';
import type { Candidate } from './candidate.js';
import { pathOf, type RowProblem } from './problems.js';

/** An announcement the ledger would accept, with what the file says about its status and programme. */
export interface ValidAnnouncement {
  readonly lines: readonly number[];
  /** The id the file gives, if any. */
  readonly givenId: string | undefined;
  readonly fields: AnnouncementFields;
  /** Set when the file shows the announcement withdrawn. */
  readonly withdrawalReason: string | undefined;
  /** The programme it names, and the name to register it under if the ledger does not know it. */
  readonly programme: { readonly code: string; readonly name: string };
  /** Where a problem at a body path is reported (the candidate's): for what the decider finds later. */
  readonly locate: Candidate['locate'];
}

export type Validated =
  { readonly ok: true; readonly announcement: ValidAnnouncement } | { readonly ok: false; readonly problems: readonly RowProblem[] };

const statusSchema = z.enum(['active', 'withdrawn'], { error: 'must be active or withdrawn' }).default('active');

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    value,
  );
}

/** zod issues as row problems, worded as the API words them; an absent value is simply "is required". */
function issueProblems(candidate: Candidate, error: z.ZodError, input: unknown, base: readonly PropertyKey[] = []): RowProblem[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ ...candidate.locate([...base, ...issue.path, key]), message: 'is not a known field' }));
    const message = issue.path.length > 0 && valueAt(input, issue.path) === undefined ? 'is required' : issue.message;
    return [{ ...candidate.locate([...base, ...issue.path]), message }];
  });
}

/** Allocation values are parsed in the amount's currency, exactly as the API does. */
function fieldsOf(
  body: AnnounceBody,
  currency: CurrencyCode,
  problems: (path: PropertyKey[], message: string) => void,
): AnnouncementFields {
  const { id: _id, allocations, restates, ...rest } = body;
  const fields: AnnouncementFields = { ...rest, ...(restates !== undefined && { restates: restatedParts(restates, currency, problems) }) };
  if (allocations === undefined) return fields;
  const parsed = parseAllocationValues(allocations, currency);
  for (const problem of parsed.problems) problems(['allocations', problem.index, 'value'], problem.message);
  return { ...fields, allocations: parsed.allocations };
}

/** Restated values are parsed by the decider's own parser; the rules about the earlier announcements wait for the plan. */
function restatedParts(
  values: readonly RestatementValue[],
  currency: CurrencyCode,
  problems: (path: PropertyKey[], message: string) => void,
): Restatement[] {
  try {
    return requestedRestatements(values, currency, 'restates');
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    for (const { field, message } of error.errors) problems(pathOf(field), message);
    return [];
  }
}

function statusProblems(candidate: Candidate): { withdrawalReason: string | undefined; problems: RowProblem[] } {
  const status = statusSchema.safeParse(candidate.status);
  if (!status.success)
    return { withdrawalReason: undefined, problems: issueProblems(candidate, status.error, candidate.status, ['status']) };
  if (status.data === 'active') {
    const problems =
      candidate.withdrawalReason === undefined
        ? []
        : [{ ...candidate.locate(['withdrawalReason']), message: 'only a withdrawn announcement has a withdrawal reason' }];
    return { withdrawalReason: undefined, problems };
  }
  const withdrawal = withdrawBodySchema.safeParse({ reason: candidate.withdrawalReason });
  if (withdrawal.success) return { withdrawalReason: withdrawal.data.reason, problems: [] };
  const problems = withdrawal.error.issues.map((issue) => ({
    ...candidate.locate(['withdrawalReason']),
    message: candidate.withdrawalReason === undefined ? 'a withdrawn announcement needs the reason it was withdrawn' : issue.message,
  }));
  return { withdrawalReason: undefined, problems };
}

/**
 * A programme the ledger does not know is registered by the import (code from `programme`, name from
 * `programmeName` or else the code), so its code must pass the same schema as POST /programmes.
 */
function programmeOf(candidate: Candidate): { programme: ValidAnnouncement['programme'] | undefined; problems: RowProblem[] } {
  const code = candidate.body.programme;
  if (typeof code !== 'string') return { programme: undefined, problems: [] };
  const parsed = registerProgrammeBodySchema.safeParse({ code, name: candidate.programmeName ?? code });
  if (parsed.success) return { programme: { code: parsed.data.code, name: parsed.data.name }, problems: [] };
  const problems = parsed.error.issues.map((issue) => ({
    ...candidate.locate([issue.path[0] === 'name' ? 'programmeName' : 'programme']),
    message: issue.message,
  }));
  return { programme: undefined, problems };
}

export function validateCandidate(candidate: Candidate): Validated {
  const problems: RowProblem[] = [...candidate.problems];
  const status = statusProblems(candidate);
  const programme = programmeOf(candidate);
  problems.push(...status.problems, ...programme.problems);
  const parsed = announceBodySchema.safeParse(candidate.body);
  if (!parsed.success) return { ok: false, problems: [...problems, ...issueProblems(candidate, parsed.error, candidate.body)] };
  const valueProblems: RowProblem[] = [];
  const fields = fieldsOf(parsed.data, parsed.data.amount.currency, (path, message) =>
    valueProblems.push({ ...candidate.locate(path), message }),
  );
  // Every programme counts as registered here: the import registers those the ledger does not know.
  const broken =
    valueProblems.length > 0
      ? valueProblems
      : brokenRules(fields, true).map((e) => ({ ...candidate.locate(pathOf(e.field)), message: e.message }));
  problems.push(...broken);
  if (problems.length > 0 || programme.programme === undefined) return { ok: false, problems };
  return {
    ok: true,
    announcement: {
      lines: candidate.lines,
      givenId: parsed.data.id,
      fields,
      withdrawalReason: status.withdrawalReason,
      programme: programme.programme,
      locate: (path) => candidate.locate(path),
    },
  };
}
