// API keys: random secrets shown once; only their SHA-256 is kept, in <DATA_DIR>/keys.json.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const SCOPES = ['read', 'write', 'audit', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const keyRecordSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  scopes: z.array(z.enum(SCOPES)).min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});
export type KeyRecord = z.infer<typeof keyRecordSchema>;

const keysFileSchema = z.object({ keys: z.array(keyRecordSchema) });

export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

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

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** 32 random bytes, base64url: 43 characters after the "flk_" prefix. */
export function generateKey(): string {
  return `flk_${randomBytes(32).toString('base64url')}`;
}

export function keysFilePath(dataDir: string): string {
  return join(dataDir, 'keys.json');
}

export function adminKeyPath(dataDir: string): string {
  return join(dataDir, 'admin.key');
}

function writeFileAtomically(path: string, contents: string, mode: number): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, 'w', mode);
  try {
    writeSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temp, mode);
  renameSync(temp, path);
}

/** The key file, re-read when it changes on disk (the `ledger keys` command writes it while the service runs). */
/** How many presented keys the ring remembers; past it, it forgets them all and starts again. */
const PRINCIPAL_CACHE_LIMIT = 1_000;

export class KeyRing {
  private records: KeyRecord[] = [];
  private loadedMtimeMs = -1;
  private checkedAt = 0;

  constructor(private readonly dataDir: string) {
    // 0700, as the embedded store makes it: with EVENT_STORE=eventstoredb the key ring may be first to create DATA_DIR.
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.reload();
  }

  private reload(): void {
    const path = keysFilePath(this.dataDir);
    if (!existsSync(path)) {
      this.use([]);
      this.loadedMtimeMs = -1;
      return;
    }
    const mtimeMs = statSync(path).mtimeMs;
    if (mtimeMs === this.loadedMtimeMs) return;
    const parsed = keysFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new Error(`${path} is not a valid key file: ${parsed.error.message}`);
    this.use(parsed.data.keys);
    this.loadedMtimeMs = mtimeMs;
  }

  /** Every change of the records forgets the remembered keys, so a revocation or a scope change counts at once. */
  private use(records: KeyRecord[]): void {
    this.records = records;
    this.principals.clear();
  }

  private refresh(): void {
    const now = Date.now();
    if (now - this.checkedAt < 1000) return;
    this.checkedAt = now;
    this.reload();
  }

  list(): readonly KeyRecord[] {
    this.reload();
    return this.records;
  }

  /**
   * Principals of keys that matched since the records last changed, by the key as presented: a dashboard's key is
   * hashed once, not on every request. Only matches are kept, so a refused key is checked afresh each time.
   */
  private readonly principals = new Map<string, Principal>();

  /**
   * Compares the digest against every active key in constant time per key; never logs the key. The key file is
   * re-read at most once a second, and each reload forgets the remembered keys, so revoking takes at most a second.
   */
  authenticate(key: string): Principal | undefined {
    this.refresh();
    const remembered = this.principals.get(key);
    if (remembered !== undefined) return remembered;
    const presented = digest(key);
    // A key created a moment ago by `ledger keys create` is found by re-reading the file before refusing.
    const found = this.match(presented) ?? (this.reloadNow(), this.match(presented));
    if (found === undefined) return undefined;
    const principal: Principal = Object.freeze({ id: found.sha256.slice(0, 16), name: found.name, scopes: found.scopes, createdAt: found.createdAt });
    if (this.principals.size >= PRINCIPAL_CACHE_LIMIT) this.principals.clear();
    this.principals.set(key, principal);
    return principal;
  }

  /**
   * Whether the key behind a principal is still valid (not revoked, not removed): for connections that outlive the
   * request that authenticated them. Re-reads the key file when it changed on disk, so it costs a stat.
   */
  isActive(principal: Principal): boolean {
    this.reload();
    return this.records.some((record) => record.revokedAt === undefined && record.sha256.startsWith(principal.id));
  }

  private match(presented: Buffer): KeyRecord | undefined {
    let found: KeyRecord | undefined;
    for (const record of this.records) {
      const match = timingSafeEqual(presented, this.storedDigest(record));
      if (match && record.revokedAt === undefined) found = record;
    }
    return found;
  }

  /** Decoded once per record, not once per request. */
  private readonly digests = new WeakMap<KeyRecord, Buffer>();

  private storedDigest(record: KeyRecord): Buffer {
    let stored = this.digests.get(record);
    if (stored === undefined) {
      stored = Buffer.from(record.sha256, 'hex');
      this.digests.set(record, stored);
    }
    return stored;
  }

  private reloadNow(): void {
    this.checkedAt = Date.now();
    this.reload();
  }

  /** Creates a key and returns it: the only moment the key itself exists outside its holder's hands. */
  create(name: string, scopes: readonly Scope[], now: Date = new Date()): string {
    if (!KEY_NAME_PATTERN.test(name)) throw new Error(`key name "${name}" must match ${String(KEY_NAME_PATTERN)}`);
    this.reload();
    if (this.records.some((r) => r.name === name && r.revokedAt === undefined)) {
      throw new Error(`a key named "${name}" already exists; revoke it first or choose another name`);
    }
    const key = generateKey();
    const record: KeyRecord = { name, scopes: [...new Set(scopes)], sha256: digest(key).toString('hex'), createdAt: now.toISOString() };
    this.save([...this.records, record]);
    return key;
  }

  revoke(name: string, now: Date = new Date()): boolean {
    this.reload();
    let revoked = false;
    const records = this.records.map((r) => {
      if (r.name !== name || r.revokedAt !== undefined) return r;
      revoked = true;
      return { ...r, revokedAt: now.toISOString() };
    });
    if (revoked) this.save(records);
    return revoked;
  }

  private save(records: KeyRecord[]): void {
    writeFileAtomically(keysFilePath(this.dataDir), `${JSON.stringify({ keys: records }, null, 2)}\n`, 0o600);
    this.use(records);
    this.loadedMtimeMs = statSync(keysFilePath(this.dataDir)).mtimeMs;
  }

  /**
   * On first start with no keys: creates an admin key and writes it alone to <DATA_DIR>/admin.key (mode 0600).
   * Returns that file's path, or undefined when keys already existed.
   */
  bootstrapAdminKey(): string | undefined {
    if (this.list().length > 0) return undefined;
    const key = this.create('admin', ['admin']);
    const path = adminKeyPath(this.dataDir);
    writeFileAtomically(path, `${key}\n`, 0o600);
    return path;
  }
}
