// The stand-in's secure mode: who a call comes from (basic credentials over TLS) and what the default ACLs let them do,
// modelled on EventStoreDB v24.10.0's authentication middleware and legacy stream ACL assertion.
import { status, type Metadata } from '@grpc/grpc-js';
import { refused, RefusedRequest } from './status.js';

export interface StandInUser {
  readonly password: string;
  /** Roles besides the user's own name; `$admins` may read $all and system streams. */
  readonly groups?: readonly string[];
}

export type Principal =
  { readonly kind: 'anonymous' } | { readonly kind: 'user'; readonly name: string; readonly roles: readonly string[] };

export type Action = 'read' | 'write' | 'delete';

/**
 * Basic credentials against the configured users. Credentials that do not match answer Unauthenticated, as the
 * AuthenticationMiddleware does for gRPC (src/EventStore.Core/Services/Transport/Http/AuthenticationMiddleware.cs).
 */
export function authenticate(metadata: Metadata, users: Readonly<Record<string, StandInUser>>): Principal {
  const header = metadata.get('authorization')[0];
  if (header === undefined) return { kind: 'anonymous' };
  const match = /^Basic (.+)$/i.exec(String(header));
  const decoded = match === null ? '' : Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const name = decoded.slice(0, colon);
  const user = colon < 0 ? undefined : users[name];
  if (user === undefined || user.password !== decoded.slice(colon + 1)) throw new RefusedRequest(status.UNAUTHENTICATED, 'Unauthenticated');
  return { kind: 'user', name, roles: [name, ...(user.groups ?? [])] };
}

/**
 * LegacyStreamPermissionAssertion (src/EventStore.Core/Authorization/LegacyStreamPermissionAssertion.cs): `$admins`
 * may do anything; writes and deletes of $all are denied; otherwise the stream's default ACL decides
 * (SystemSettings.Default in src/EventStore.Core/Data/SystemSettings.cs): `$admins` only for system streams ($-prefixed,
 * $all among them), everyone (`$all` role) for user streams. Anonymous callers get no stream access at all, the
 * default of AllowAnonymousStreamAccess (src/EventStore.Core/Configuration/ClusterVNodeOptions.cs).
 */
export function assertAllowed(principal: Principal, action: Action, stream: string): void {
  if (principal.kind === 'anonymous') throw refused.accessDenied();
  if (stream === '$all' && action !== 'read') throw refused.accessDenied();
  if (principal.roles.includes('$admins')) return;
  const original = stream.startsWith('$$') ? stream.slice(2) : stream;
  if (original.startsWith('$')) throw refused.accessDenied();
}

/** A fresh secure node's users: `admin` in `$admins` and `ops` in `$ops` (their default passwords). */
export const DEFAULT_USERS: Readonly<Record<string, StandInUser>> = {
  admin: { password: 'changeit', groups: ['$admins'] },
  ops: { password: 'changeit', groups: ['$ops'] },
};
