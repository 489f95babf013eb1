// The one shape of a write route: the route maps its request to (stream, command) and presents the state after it;
// this owns If-Match, Idempotency-Key, the append through the command handler, ETag, Location and the status.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Decider, DomainEvent } from '../commands/decider.js';
import type { CommandMetadata } from '../commands/envelope.js';
import { handleCommand } from '../commands/handle.js';
import { loadStream } from '../commands/load.js';
import { ValidationError } from '../domain/errors.js';
import type { Position } from '../store/port.js';
import type { LedgerContext } from './context.js';
import { runIdempotently, type Outcome } from './idempotency.js';
import { etagOf } from './presenters.js';

/** A stream as a write left it: what the presenter shows, the same whether the answer is first given or replayed. */
export interface WriteResult<State> {
  readonly stream: string;
  readonly state: State;
  /** Revision of the stream's last event after the write. */
  readonly revision: bigint;
  readonly position: Position;
}

export interface StreamCommand<Command> {
  readonly stream: string;
  readonly command: Command;
}

export interface WriteRoute<State, Command, Event extends DomainEvent> {
  readonly decider: Decider<State, Command, Event>;
  /** 201 for a write that creates what it names, 200 for one that changes it. */
  readonly status: 200 | 201;
  /** Whether the route takes If-Match: "<revision>" (its schema says so); elsewhere the header is not read. */
  readonly ifMatch?: boolean;
  /** Whether the answer names the stream's revision as ETag, for a later If-Match. @defaultValue true */
  readonly etag?: boolean;
  /**
   * The command and its stream. Called once the Idempotency-Key has been checked (a replay never builds one);
   * `metadata` carries the key, for an id made from it.
   */
  readonly toCommand: (metadata: CommandMetadata) => StreamCommand<Command> | Promise<StreamCommand<Command>>;
  /** The body of the answer. */
  readonly present: (written: WriteResult<State>) => unknown;
  /** Where what was written can be read, sent as Location. */
  readonly location?: (written: WriteResult<State>) => string;
}

/** Runs a route's command at most once per Idempotency-Key and answers with the state it left. */
export async function answerCommand<State, Command, Event extends DomainEvent>(
  context: LedgerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  route: WriteRoute<State, Command, Event>,
): Promise<FastifyReply> {
  const ifMatch = route.ifMatch === true ? ifMatchOf(request) : undefined;
  const answer = (written: WriteResult<State>): Outcome => ({
    status: route.status,
    headers: {
      ...(route.etag !== false && { etag: etagOf(written.revision) }),
      ...(route.location !== undefined && { location: route.location(written) }),
    },
    body: route.present(written),
  });
  const outcome = await runIdempotently(
    context,
    request,
    async (metadata) => {
      const { stream, command } = await route.toCommand(metadata);
      const { state, revision, position } = await handleCommand(context.store, route.decider, stream, command, { metadata, ifMatch });
      return { write: { stream, revision, position }, outcome: answer({ stream, state, revision, position }) };
    },
    // A replay answers from the stream as the first write left it, whatever came after.
    async ({ stream, revision, position }) => {
      const { state } = await loadStream(context.store, route.decider, stream, { revision });
      return answer({ stream, state, revision, position });
    },
  );
  return reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
}

/** The If-Match revision of a request, if any; a malformed one is a 400 naming the header. */
export function ifMatchOf(request: FastifyRequest): bigint | undefined {
  const ifMatch = parseIfMatch(request.headers['if-match']);
  if (ifMatch === 'invalid') {
    throw new ValidationError('If-Match must be a quoted revision such as "0"', [{ field: 'If-Match', message: 'must be "<revision>"' }]);
  }
  return ifMatch;
}

/** Parses If-Match: "<revision>" (a weak or list form is refused: the ledger compares exact revisions). */
export function parseIfMatch(header: string | string[] | undefined): bigint | undefined | 'invalid' {
  if (header === undefined) return undefined;
  if (typeof header !== 'string') return 'invalid';
  const match = /^\s*"(0|[1-9][0-9]{0,18})"\s*$/.exec(header);
  return match ? BigInt(match[1] as string) : 'invalid';
}
