// API keys as the service sees them: an in-memory view of the keys stream, kept up to date from the store, that
// authenticates every request synchronously. Only a key's SHA-256 is ever stored (README "API keys").
import { createHash, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { apiKeyDecider } from '../commands/apiKey/decide.js';
import { API_KEYS_STREAM, keyIdOf, type Scope } from '../commands/apiKey/events.js';
import { evolveApiKeys, initialApiKeysState, type ApiKeyRecord, type ApiKeysState } from '../commands/apiKey/state.js';
import { toDomainEvent } from '../commands/decider.js';
import type { CommandMetadata } from '../commands/envelope.js';
import type { EventStore } from '../store/port.js';
import { createApiKey, revokeApiKey, systemMetadata, type CreatedKey } from './keyCommands.js';

export { KEY_NAME_PATTERN, SCOPES, type Scope } from '../commands/apiKey/events.js';
export type { ApiKeyRecord } from '../commands/apiKey/state.js';
export { generateKey } from './keyCommands.js';

export interface Principal {
  /**
   * The key's stable identity: the first 16 hex digits of its stored SHA-256. Unlike the name, it is never reused
   * (a new key with a revoked key's name has another id), so limits and idempotency are scoped by it.
   */
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** When the key was created (ISO 8601): writes recorded by its name before then were another key's. */
  readonly createdAt: string;
}

/** admin holds every scope. */
export function hasScope(principal: Pick<Principal, 'id' | 'name' | 'scopes'>, scope: Scope): boolean {
  return principal.scopes.includes(scope) || principal.scopes.includes('admin');
}

export function adminKeyPath(dataDir: string): string {
  return join(dataDir, 'admin.key');
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** How many presented keys the ring remembers; past it, it forgets them all and starts again. */
const PRINCIPAL_CACHE_LIMIT = 1_000;

export interface KeyRingOptions {
  readonly logger: Pick<Logger, 'warn'>;
  /**
   * How often the view is brought up to date from the store: a key created or revoked through another instance or
   * the CLI counts here within this (plus one read).
   * @defaultValue 250
   */
  readonly refreshEveryMs?: number;
  /**
   * Least time between two refreshes asked for by keys the view does not know: an unknown key waits for one, but
   * a flood of them cannot make every request read the store.
   * @defaultValue 100
   */
  readonly unknownKeyRefreshEveryMs?: number;
}

export class KeyRing {
  private state: ApiKeysState = initialApiKeysState();
  /** Revision of the last event of the keys stream in the view; undefined while the stream is empty. */
  private revision: bigint | undefined;
  private refreshing: Promise<void> | undefined;
  private lastUnknownKeyRefresh = -Infinity;
  /** This instance's key writes, one after the other: a revocation then a creation of the same name keep their order. */
  private writes: Promise<unknown> = Promise.resolve();
  private writesInFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private failing = false;

  constructor(
    private readonly store: EventStore,
    private readonly options: KeyRingOptions,
  ) {}

  /** Loads every key, then keeps the view fresh in the background until closed. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.refresh().then(
        () => this.schedule(),
        () => this.schedule(),
      );
    }, this.options.refreshEveryMs ?? 250);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /** Reads the keys stream after the last revision seen; concurrent callers share one read. */
  refresh(): Promise<void> {
    this.refreshing ??= this.catchUp().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async catchUp(): Promise<void> {
    try {
      let state = this.state;
      let revision = this.revision;
      for await (const event of this.store.readStream(API_KEYS_STREAM, { fromRevision: revision === undefined ? 0n : revision + 1n })) {
        state = evolveApiKeys(state, toDomainEvent(apiKeyDecider, event));
        revision = event.revision;
      }
      if (revision !== this.revision) {
        this.state = state;
        this.revision = revision;
        // Every change forgets the remembered keys, so a revocation or a new scope counts at once.
        this.principals.clear();
      }
      if (this.failing) this.failing = false;
    } catch (error) {
      // The view stays as it was: keys keep working while the store is away; changes arrive once it is back.
      if (!this.failing && !this.closed)
        this.options.logger.warn({ err: error }, 'could not read the API keys from the event store; retrying');
      this.failing = true;
      throw error;
    }
  }

  /** Every key ever created, in order of creation, with its revocation. */
  list(): readonly ApiKeyRecord[] {
    return this.state.keys;
  }

  /**
   * Principals of keys that matched since the view last changed, by the key as presented: a dashboard's key is
   * hashed once, not on every request. Only matches are kept, so a refused key is checked afresh each time.
   */
  private readonly principals = new Map<string, Principal>();

  /** Decoded once per record, not once per request. */
  private readonly digests = new WeakMap<ApiKeyRecord, Buffer>();

  /**
   * From the view alone, synchronously: compares the digest against every active key in constant time per key;
   * never logs the key. A key the view does not know may be a moment old: see `authenticateAfterRefresh`.
   */
  authenticate(key: string): Principal | undefined {
    const remembered = this.principals.get(key);
    if (remembered !== undefined) return remembered;
    const found = this.match(digest(key));
    if (found === undefined) return undefined;
    const principal: Principal = Object.freeze({
      id: keyIdOf(found.sha256),
      name: found.name,
      scopes: found.scopes,
      createdAt: found.createdAt,
    });
    if (this.principals.size >= PRINCIPAL_CACHE_LIMIT) this.principals.clear();
    this.principals.set(key, principal);
    return principal;
  }

  /**
   * For a key the view refused: waits for this instance's key writes in flight, then for one read of the store, so
   * that a key created a moment ago (here, through another instance or the CLI) is accepted at once. Those reads are
   * at most one per `unknownKeyRefreshEveryMs`, whatever the number of unknown keys presented; between them an
   * unknown key waits for the read in flight, or is answered from the view.
   */
  async authenticateAfterRefresh(key: string): Promise<Principal | undefined> {
    if (this.writesInFlight > 0) {
      await this.writes.catch(() => undefined);
      const principal = this.authenticate(key);
      if (principal !== undefined) return principal;
    }
    // A read in flight may have begun before the key was written: it is awaited, and then one more may be asked for.
    if (this.refreshing !== undefined) {
      await this.refreshing.catch(() => undefined);
      const principal = this.authenticate(key);
      if (principal !== undefined) return principal;
    }
    const now = performance.now();
    if (now - this.lastUnknownKeyRefresh >= (this.options.unknownKeyRefreshEveryMs ?? 100)) {
      this.lastUnknownKeyRefresh = now;
      await this.refresh().catch(() => undefined);
    } else if (this.refreshing !== undefined) {
      await this.refreshing.catch(() => undefined);
    }
    return this.authenticate(key);
  }

  /**
   * Whether the key behind a principal is still valid (not revoked): for connections that outlive the request that
   * authenticated them. From the view, which is at most a refresh behind the store.
   */
  isActive(principal: Principal): boolean {
    return this.state.keys.some((record) => record.revokedAt === undefined && keyIdOf(record.sha256) === principal.id);
  }

  private match(presented: Buffer): ApiKeyRecord | undefined {
    let found: ApiKeyRecord | undefined;
    for (const record of this.state.keys) {
      if (record.revokedAt !== undefined) continue;
      if (timingSafeEqual(presented, this.storedDigest(record))) found = record;
    }
    return found;
  }

  private storedDigest(record: ApiKeyRecord): Buffer {
    let stored = this.digests.get(record);
    if (stored === undefined) {
      stored = Buffer.from(record.sha256, 'hex');
      this.digests.set(record, stored);
    }
    return stored;
  }

  /** Runs one key write after this instance's earlier ones, then brings the view up to date with it. */
  private write<T>(run: () => Promise<T>): Promise<T> {
    this.writesInFlight += 1;
    const written = this.writes.then(run).finally(async () => {
      await this.refresh().catch(() => undefined);
      this.writesInFlight -= 1;
    });
    this.writes = written.catch(() => undefined);
    return written;
  }

  /**
   * Creates a key through the keys stream and returns it: the only moment the key itself exists outside its
   * holder's hands. `key` may be given by a caller that must hand it out before the write ends (test fixtures).
   */
  create(name: string, scopes: readonly Scope[], metadata: CommandMetadata = systemMetadata('ledger'), key?: string): Promise<CreatedKey> {
    return this.write(() => createApiKey(this.store, { name, scopes }, metadata, key));
  }

  /** Revokes the active key of that name through the keys stream. */
  revoke(name: string, metadata: CommandMetadata = systemMetadata('ledger')): Promise<ApiKeyRecord> {
    return this.write(() => revokeApiKey(this.store, name, metadata));
  }
}
