// Domain errors: each carries the HTTP status it maps to; the HTTP layer turns them into problem+json in one place.

export interface FieldError {
  /** Path of the offending field, e.g. "amount.value" or "allocations[1].country". */
  readonly field: string;
  readonly message: string;
}

export abstract class LedgerError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  constructor(
    message: string,
    readonly errors: readonly FieldError[] = [],
  ) {
    super(message);
  }
}

/** A business rule refused the command (422): unknown programme, allocations not summing, withdrawn. */
export class RuleViolationError extends LedgerError {
  override readonly name = 'RuleViolationError';
  readonly status = 422;
  readonly title = 'Rule violated';
}

/** The request itself is malformed or fails validation (400). */
export class ValidationError extends LedgerError {
  override readonly name = 'ValidationError';
  readonly status = 400;
  readonly title = 'Invalid request';
}

export class NotFoundError extends LedgerError {
  override readonly name = 'NotFoundError';
  readonly status = 404;
  readonly title = 'Not found';
}

/** A concurrent write won first (409). */
export class ConflictError extends LedgerError {
  override readonly name = 'ConflictError';
  readonly status = 409;
  readonly title = 'Conflict';
}

/** The client's If-Match names a revision that is no longer current (412). */
export class PreconditionFailedError extends LedgerError {
  override readonly name = 'PreconditionFailedError';
  readonly status = 412;
  readonly title = 'Precondition failed';
}

/** The same Idempotency-Key came with a different request (422). */
export class IdempotencyKeyReusedError extends LedgerError {
  override readonly name = 'IdempotencyKeyReusedError';
  readonly status = 422;
  readonly title = 'Idempotency key reused';
}
