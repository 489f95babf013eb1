// Announcement decisions: announce once, amend while active (with a reason), commit and disburse while active, withdraw once.
import { canonicalJson } from '../../domain/canonicalJson.js';
import { ConflictError, NotFoundError, RuleViolationError, type FieldError } from '../../domain/errors.js';
import type { CurrencyCode } from '../../domain/money.js';
import { assertNever, type Decider } from '../decider.js';
import { requestedAllocations, type AllocationValue } from './allocations.js';
import { ANNOUNCEMENT_EVENT_TYPES, type AnnouncementChanges, type AnnouncementEvent, type AnnouncementFields } from './events.js';
import { amountChangeErrors, commit, destinationChangeErrors, disburse, type CommitFunding, type DisburseFunding } from './flows.js';
import {
  requestedRestatements,
  restatementFactErrors,
  restatementShapeErrors,
  type RestatedFacts,
  type RestatementValue,
} from './restatements.js';
import { brokenRules } from './rules.js';
import { applyChanges, evolveAnnouncement, initialAnnouncementState, type AnnouncementState } from './state.js';

/**
 * Facts from other streams, gathered at the edge before deciding: whether the programme named by the command is
 * registered, and what the restatements read model knows of the announcements involved. Read models follow the
 * store, so across replicas these checks are eventually consistent.
 */
interface CrossStreamFacts {
  readonly programmeRegistered: boolean;
  /** The announcements the command's `restates` names (required when it names any; one absent does not exist). */
  readonly restated?: RestatedFacts | undefined;
  /** Minor units of this announcement that other announcements restate (amendments of its amount). @defaultValue 0 */
  readonly restatedFromThis?: number | undefined;
}

export type AnnounceFunding = {
  readonly type: 'AnnounceFunding';
  readonly data: { announcementId: string; fields: AnnouncementFields };
  readonly context: CrossStreamFacts;
};

/** The changes an amendment asks for: allocation and restated values are decimal strings, parsed in the currency the amount will have. */
export type RequestedChanges = Omit<AnnouncementChanges, 'allocations' | 'restates'> & {
  readonly allocations?: readonly AllocationValue[] | null;
  readonly restates?: readonly RestatementValue[] | null;
};

export type AmendFunding = {
  readonly type: 'AmendFunding';
  readonly data: { announcementId: string; changes: RequestedChanges; reason: string };
  readonly context: CrossStreamFacts;
};

export type WithdrawFunding = {
  readonly type: 'WithdrawFunding';
  readonly data: { announcementId: string; reason: string };
};

export type { CommitFunding, DisburseFunding };

export type AnnouncementCommand = AnnounceFunding | AmendFunding | WithdrawFunding | CommitFunding | DisburseFunding;

export function decideAnnouncement(state: AnnouncementState, command: AnnouncementCommand): AnnouncementEvent[] {
  switch (command.type) {
    case 'AnnounceFunding':
      return announce(state, command);
    case 'AmendFunding':
      return amend(state, command);
    case 'WithdrawFunding':
      return withdraw(state, command);
    case 'CommitFunding':
      return commit(state, command);
    case 'DisburseFunding':
      return disburse(state, command);
    default:
      return assertNever(command);
  }
}

function announce(state: AnnouncementState, { data, context }: AnnounceFunding): AnnouncementEvent[] {
  if (state.status !== 'none') throw new ConflictError(`announcement ${data.announcementId} already exists`);
  const errors = [
    ...brokenRules(data.fields, context.programmeRegistered),
    ...restatementErrors(data.announcementId, data.fields, context),
  ];
  if (errors.length > 0) throw new RuleViolationError('the announcement breaks the ledger rules', errors);
  return [{ type: 'FundingAnnounced', data: { announcementId: data.announcementId, ...data.fields } }];
}

function amend(state: AnnouncementState, { data, context }: AmendFunding): AnnouncementEvent[] {
  // A bad allocation value is a malformed request (400), answered before whether the announcement exists or may
  // change; a new amount's currency is known even when it does not exist.
  const currency = data.changes.amount?.currency ?? (state.status === 'none' ? undefined : state.announcement.amount.currency);
  const { allocations: values, restates: restatedValues, ...otherChanges } = data.changes;
  const allocations = currency === undefined ? undefined : parsedAllocations(values, currency);
  const restates = currency === undefined ? undefined : parsedRestatements(restatedValues, currency);
  if (state.status === 'none') throw new NotFoundError(`announcement ${data.announcementId} does not exist`);
  if (state.status === 'withdrawn') {
    throw new RuleViolationError(`announcement ${data.announcementId} was withdrawn and accepts no further change`);
  }
  // Setting both would let applyChanges silently keep only the allocations; refuse as announce does.
  if (data.changes.country != null && data.changes.allocations != null) {
    throw new RuleViolationError('the amendment gives both a country and allocations', [
      { field: 'changes.allocations', message: 'give either country or allocations, not both' },
    ]);
  }
  const requested: AnnouncementChanges = {
    ...otherChanges,
    ...(allocations !== undefined && { allocations }),
    ...(restates !== undefined && { restates: restates === null || restates.length === 0 ? null : restates }),
  };
  const changes = effectiveChanges(state.announcement, requested);
  if (Object.keys(changes).length === 0) {
    throw new RuleViolationError('the amendment changes nothing', [{ field: 'changes', message: 'every value equals the current one' }]);
  }
  const next = applyChanges(state.announcement, changes);
  const programmeRegistered = changes.programme === undefined || context.programmeRegistered;
  const errors = [
    ...brokenRules(next, programmeRegistered),
    ...(changes.amount === undefined
      ? []
      : amountChangeErrors(state.announcement, state.flows, context.restatedFromThis ?? 0, changes.amount)),
    ...(changes.country === undefined && changes.allocations === undefined ? [] : destinationChangeErrors(next, state.flows)),
    // The earlier announcements are checked again only when the restated parts change; the parts' own shape always.
    ...(changes.restates === undefined ? restatementShapeErrors(next.amount, next.restates ?? []) : []),
    ...(changes.restates === undefined ? [] : restatementErrors(data.announcementId, next, context)),
  ].map((e) => ({ ...e, field: `changes.${e.field}` }));
  if (errors.length > 0) throw new RuleViolationError('the amended announcement would break the ledger rules', errors);
  return [{ type: 'FundingAmended', data: { announcementId: data.announcementId, changes, reason: data.reason } }];
}

function parsedAllocations(
  values: readonly AllocationValue[] | null | undefined,
  currency: CurrencyCode,
): AnnouncementChanges['allocations'] {
  return values === undefined || values === null ? values : requestedAllocations(values, currency, 'changes.allocations');
}

function parsedRestatements(
  values: readonly RestatementValue[] | null | undefined,
  currency: CurrencyCode,
): AnnouncementChanges['restates'] {
  return values === undefined || values === null ? values : requestedRestatements(values, currency, 'changes.restates');
}

/** The rules about the earlier announcements the parts name, then the parts' own shape (currency, sum within the amount). */
function restatementErrors(selfId: string, fields: AnnouncementFields, context: CrossStreamFacts): FieldError[] {
  const restates = fields.restates ?? [];
  if (restates.length === 0) return [];
  const shape = restatementShapeErrors(fields.amount, restates);
  const facts = restatementFactErrors(selfId, restates, context.restated ?? new Map());
  return [...facts, ...shape];
}

/** Only the fields whose value actually differs, so the history shows what really changed. */
function effectiveChanges(current: AnnouncementFields, changes: AnnouncementChanges): AnnouncementChanges {
  const effective: Record<string, unknown> & AnnouncementChanges = {};
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    const before = (current as unknown as Record<string, unknown>)[field];
    if (value === null ? before !== undefined : canonicalJson(value) !== canonicalJson(before)) effective[field] = value;
  }
  return effective;
}

function withdraw(state: AnnouncementState, { data }: WithdrawFunding): AnnouncementEvent[] {
  if (state.status === 'none') throw new NotFoundError(`announcement ${data.announcementId} does not exist`);
  if (state.status === 'withdrawn') {
    throw new RuleViolationError(`announcement ${data.announcementId} was already withdrawn`);
  }
  return [{ type: 'FundingWithdrawn', data: { announcementId: data.announcementId, reason: data.reason } }];
}

export const announcementDecider: Decider<AnnouncementState, AnnouncementCommand, AnnouncementEvent> = {
  initialState: initialAnnouncementState,
  evolve: evolveAnnouncement,
  decide: decideAnnouncement,
  eventTypes: ANNOUNCEMENT_EVENT_TYPES,
};
