// The ledger's signed checkpoints: its identity (log name and key) and checkpoints of the journal tree, signed on demand.
import { countBoundedCache } from '../runtime/byteBoundedCache.js';
import { signCheckpoint } from './checkpoint.js';
import type { MerkleTree } from './merkle.js';
import { formatVerifierKey, verifierKeyOf } from './signedNote.js';
import type { SignerKey, VerifierKey } from './signedNote.js';
import { openLedgerSigningKey } from './signingKeyFile.js';

/** Who signs: the log's origin line (also the key's name), the signer, and the verifier key in C2SP vkey text. */
export interface AuditIdentity {
  readonly origin: string;
  readonly signer: SignerKey;
  readonly verifier: VerifierKey;
  /** `<name>+<hex key id>+<base64(0x01 || public key)>`. */
  readonly verifierKeyText: string;
}

export function auditIdentityOf(signer: SignerKey): AuditIdentity {
  const verifier = verifierKeyOf(signer);
  return { origin: signer.name, signer, verifier, verifierKeyText: formatVerifierKey(verifier) };
}

/** Reads (or, on first start, makes) the ledger's signing key as the configuration names it. */
export function openAuditIdentity(config: { readonly auditSigningKeyFile: string; readonly ledgerId: string | undefined }): AuditIdentity {
  return auditIdentityOf(openLedgerSigningKey(config.auditSigningKeyFile, config.ledgerId));
}

/** A signed checkpoint and what it says. */
export interface SignedCheckpoint {
  readonly treeSize: number;
  readonly rootHash: Buffer;
  /** The C2SP signed note: the tlog-checkpoint body, a blank line, the signature line. */
  readonly note: string;
}

/** Signatures kept, newest sizes first: the latest size is asked for over and over between appends. */
const KEPT = 64;

/** Signs checkpoints of a tree that only grows; each size is signed once while it is among the last few asked for. */
export class CheckpointSigner {
  private readonly bySize = countBoundedCache<number, SignedCheckpoint>(KEPT);

  constructor(
    readonly identity: AuditIdentity,
    private readonly tree: () => MerkleTree,
  ) {}

  /** The checkpoint of the whole tree as it is now. */
  latest(): SignedCheckpoint {
    return this.at(this.tree().size);
  }

  /** The checkpoint of the tree's first `size` leaves (a TreeRangeError beyond its size). */
  at(size: number): SignedCheckpoint {
    const kept = this.bySize.get(size);
    if (kept !== undefined) return kept;
    const rootHash = this.tree().root(size);
    const signed = {
      treeSize: size,
      rootHash,
      note: signCheckpoint({ origin: this.identity.origin, treeSize: size, rootHash }, this.identity.signer),
    };
    this.bySize.set(size, signed);
    return signed;
  }
}
