// Bearer-key authentication and scope checks, declared per route through `config.scope`.
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { hasScope, type KeyRing, type Principal, type Scope } from '../auth/keys.js';
import { sendProblem } from './problems.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Scope the route needs; 'public' for none. */
    scope?: Scope | 'public';
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** The name recorded as `actor` on events; anonymous requests never write, so this is only for reads. */
export function actorOf(request: FastifyRequest): string {
  return request.principal?.name ?? 'anonymous';
}

/**
 * Whom a limit counts against: the authenticated key's id, else the client's address. Never the raw header, so no
 * spelling of "Bearer" or of the spacing starts a fresh budget. Call it after authentication (onRequest has run).
 */
export function clientOf(request: FastifyRequest): string {
  return request.principal === undefined ? `ip:${request.ip}` : `key:${request.principal.id}`;
}

function bearerKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
  return match?.[1];
}

export function registerAuth(app: FastifyInstance, options: { keys: KeyRing; publicRead: boolean }): void {
  app.decorateRequest('principal', undefined);
  // Synchronous for every key the view knows: an async hook costs a promise and a microtask turn on every request.
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const admission = admitted(request, reply, options);
    if (admission === true) done();
    else if (admission !== false) admission.then((admit) => admit && done(), done);
  });
}

type Options = { keys: KeyRing; publicRead: boolean };

/** True when the request may go on; false when its 401 or 403 has been sent; a promise of either for a key not yet known. */
function admitted(request: FastifyRequest, reply: FastifyReply, options: Options): boolean | Promise<boolean> {
  // CORS preflights carry no credentials by design; unknown routes fall through to the 404 handler.
  if (request.method === 'OPTIONS' || request.is404) return true;
  const scope = request.routeOptions.config.scope ?? 'admin';
  if (scope === 'public') return true;
  const key = bearerKey(request);
  const principal = key === undefined ? undefined : options.keys.authenticate(key);
  if (key === undefined || principal !== undefined) return decided(request, reply, options, scope, key, principal);
  // A key the view does not know may be a moment old (created here, on another instance or by the CLI): one read of
  // the keys stream decides, and the key ring bounds how often unknown keys may ask for one.
  return options.keys.authenticateAfterRefresh(key).then((fresh) => decided(request, reply, options, scope, key, fresh));
}

function decided(
  request: FastifyRequest,
  reply: FastifyReply,
  options: Options,
  scope: Scope,
  key: string | undefined,
  principal: Principal | undefined,
): boolean {
  request.principal = principal;
  // With public reads, no key is fine; a wrong key is still refused, so a client learns its key is bad.
  if (scope === 'read' && options.publicRead && key === undefined) return true;
  if (request.principal === undefined) {
    reply.header('www-authenticate', 'Bearer realm="funding-ledger"');
    sendProblem(reply, {
      type: 'urn:funding-ledger:problem:unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: key === undefined ? 'send an API key as "Authorization: Bearer <key>"' : 'the API key is not valid',
    });
    return false;
  }
  if (!hasScope(request.principal, scope)) {
    sendProblem(reply, {
      type: 'urn:funding-ledger:problem:forbidden',
      title: 'Forbidden',
      status: 403,
      detail: `this route needs the "${scope}" scope; key "${request.principal.name}" has ${request.principal.scopes.join(', ')}`,
    });
    return false;
  }
  return true;
}
