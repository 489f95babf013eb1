// C2SP signed-note (c2sp.org/signed-note) with Ed25519: keys, their vkey and signer-key texts, signing and opening notes.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/** The signature type byte the spec assigns to Ed25519; it prefixes the key in key ids and key texts. */
export const ED25519_SIGNATURE_TYPE = 0x01;

/** Verifiers MUST accept at least 16 signatures; Go's note package stops at 100, and so do we. */
export const MAX_SIGNATURES = 100;

const EM_DASH_SPACE = '\u2014 ';
const PRIVATE_KEY_PREFIX = 'PRIVATE+KEY+';
// DER wrappers around a raw Ed25519 seed / public key (RFC 8410), the only way node:crypto imports raw keys.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A key or note text that breaks the signed-note grammar; `message` says which part. */
export class MalformedNoteError extends Error {
  override readonly name = 'MalformedNoteError';
}

/** A vkey or signer-key text that cannot be decoded, or whose key id does not match its name and key. */
export class MalformedKeyError extends Error {
  override readonly name = 'MalformedKeyError';
}

/** No signature line of the note was made by the verifier's key (same name and key id). */
export class UnknownKeyError extends Error {
  override readonly name = 'UnknownKeyError';
  constructor(
    readonly keyName: string,
    readonly keyId: number,
  ) {
    super(`the note has no signature by ${keyName}+${formatKeyId(keyId)}`);
  }
}

/** A signature line names the verifier's key but does not verify: the text or the signature was changed. */
export class InvalidSignatureError extends Error {
  override readonly name = 'InvalidSignatureError';
  constructor(
    readonly keyName: string,
    readonly keyId: number,
  ) {
    super(`the signature by ${keyName}+${formatKeyId(keyId)} does not verify`);
  }
}

export interface VerifierKey {
  readonly name: string;
  readonly keyId: number;
  /** The 32-byte Ed25519 public key (RFC 8032 encoding). */
  readonly publicKey: Buffer;
}

export interface SignerKey extends VerifierKey {
  /** The 32-byte Ed25519 seed: the secret. */
  readonly seed: Buffer;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes after the key id. */
  readonly signature: Buffer;
}

export interface OpenedNote {
  /** The signed text, final newline included. */
  readonly text: string;
  /** The signature that verified with the verifier key. */
  readonly verified: NoteSignature;
  /** Signatures by other keys, kept (not verified) so a cosigned note can be passed on intact. */
  readonly others: readonly NoteSignature[];
}

/** Key names MUST be non-empty with no Unicode space and no plus; the checkpoint origin follows the same rule. */
export function isValidKeyName(name: string): boolean {
  return name !== '' && isWellFormedUnicode(name) && !/[\p{White_Space}+]/u.test(name);
}

/** key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4], read big-endian (signed-note, Ed25519). */
export function keyIdOf(name: string, publicKey: Buffer): number {
  const digest = createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Buffer.from([0x0a, ED25519_SIGNATURE_TYPE]))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

/** Eight lowercase hex digits, as the key texts carry the id. */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/** Makes a fresh Ed25519 key for a key name. */
export function generateSignerKey(name: string): SignerKey {
  assertKeyName(name);
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
  return signerKeyFromSeed(name, Buffer.from(seed));
}

/** The signer key for a name and a 32-byte seed; the public key and id follow from them. */
export function signerKeyFromSeed(name: string, seed: Buffer): SignerKey {
  assertKeyName(name);
  if (seed.length !== 32) throw new MalformedKeyError(`an Ed25519 seed is 32 bytes, not ${seed.length}`);
  const publicKey = rawPublicKey(privateKeyObject(seed));
  return { name, keyId: keyIdOf(name, publicKey), publicKey, seed: Buffer.from(seed) };
}

export function verifierKeyOf(signer: SignerKey): VerifierKey {
  return { name: signer.name, keyId: signer.keyId, publicKey: signer.publicKey };
}

/** `<name>+<hex key id>+<base64(0x01 || public key)>`: what is published for verifiers. */
export function formatVerifierKey(key: VerifierKey): string {
  return `${key.name}+${formatKeyId(key.keyId)}+${typed(key.publicKey).toString('base64')}`;
}

/** `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`, Go's sumdb/note signer key: the key file's content. */
export function formatSignerKey(key: SignerKey): string {
  return `${PRIVATE_KEY_PREFIX}${key.name}+${formatKeyId(key.keyId)}+${typed(key.seed).toString('base64')}`;
}

export function parseVerifierKey(text: string): VerifierKey {
  const { name, keyId, key } = splitKeyText(text, 'verifier key');
  if (key.length !== 32) throw new MalformedKeyError(`verifier key: an Ed25519 public key is 32 bytes, not ${key.length}`);
  if (keyIdOf(name, key) !== keyId)
    throw new MalformedKeyError(`verifier key: key id ${formatKeyId(keyId)} does not match the name and key`);
  return { name, keyId, publicKey: key };
}

export function parseSignerKey(text: string): SignerKey {
  if (!text.startsWith(PRIVATE_KEY_PREFIX)) throw new MalformedKeyError('signer key: does not start with PRIVATE+KEY+');
  const { name, keyId, key } = splitKeyText(text.slice(PRIVATE_KEY_PREFIX.length), 'signer key');
  if (key.length !== 32) throw new MalformedKeyError(`signer key: an Ed25519 seed is 32 bytes, not ${key.length}`);
  const signer = signerKeyFromSeed(name, key);
  if (signer.keyId !== keyId) throw new MalformedKeyError(`signer key: key id ${formatKeyId(keyId)} does not match the name and key`);
  return signer;
}

/** The note: text, a blank line, one signature line. The text must end in a newline and hold no control character. */
export function signNote(text: string, signer: SignerKey): string {
  assertNoteText(text);
  const signature = sign(null, Buffer.from(text, 'utf8'), privateKeyObject(signer.seed));
  const idAndSignature = Buffer.concat([keyIdBytes(signer.keyId), signature]);
  return `${text}\n${EM_DASH_SPACE}${signer.name} ${idAndSignature.toString('base64')}\n`;
}

/**
 * Opens a signed note with one trusted key. Signatures by other keys are ignored (the spec requires it: a witness
 * may cosign); a signature by this key that fails rejects the whole note, and so does the lack of one.
 */
export function openNote(note: string | Uint8Array, verifier: VerifierKey): OpenedNote {
  const message = typeof note === 'string' ? note : decodeUtf8(note);
  if (!isWellFormedUnicode(message)) throw new MalformedNoteError('note: not valid UTF-8');
  assertNoControlCharacters(message, 'note');
  // The text is separated from the signatures by the last empty line: the text itself may contain empty lines.
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw new MalformedNoteError('note: no blank line before the signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (!block.endsWith('\n')) throw new MalformedNoteError('note: the last signature line does not end in a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new MalformedNoteError(`note: more than ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map((line, index) => parseSignatureLine(line, index + 1));

  const publicKey = publicKeyObject(verifier.publicKey);
  const ours = signatures.filter((s) => s.name === verifier.name && s.keyId === verifier.keyId);
  if (ours.length === 0) throw new UnknownKeyError(verifier.name, verifier.keyId);
  const signed = Buffer.from(text, 'utf8');
  for (const candidate of ours) {
    if (!verifies(signed, publicKey, candidate.signature)) throw new InvalidSignatureError(verifier.name, verifier.keyId);
  }
  return { text, verified: ours[0]!, others: signatures.filter((s) => !ours.includes(s)) };
}

/** RFC 4648 section 4 base64, canonical only: Buffer.from(_, 'base64') would accept base64url, spaces and junk. */
export function decodeStandardBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

function parseSignatureLine(line: string, number: number): NoteSignature {
  const where = `signature line ${number}`;
  if (!line.startsWith(EM_DASH_SPACE)) throw new MalformedNoteError(`${where}: does not start with an em dash and a space`);
  const rest = line.slice(EM_DASH_SPACE.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new MalformedNoteError(`${where}: no space between the key name and the signature`);
  const name = rest.slice(0, space);
  if (!isValidKeyName(name)) throw new MalformedNoteError(`${where}: invalid key name`);
  const bytes = decodeStandardBase64(rest.slice(space + 1));
  if (bytes === undefined) throw new MalformedNoteError(`${where}: the signature is not standard base64`);
  if (bytes.length < 5) throw new MalformedNoteError(`${where}: the signature is shorter than a key id and one byte`);
  return { name, keyId: bytes.readUInt32BE(0), signature: bytes.subarray(4) };
}

/** A signature of the wrong length is a failed signature, whichever way node:crypto reports it. */
function verifies(signed: Buffer, publicKey: KeyObject, signature: Buffer): boolean {
  if (signature.length !== 64) return false;
  try {
    return verify(null, signed, publicKey, signature);
  } catch (_error) {
    return false;
  }
}

function splitKeyText(text: string, what: string): { name: string; keyId: number; key: Buffer } {
  // Split at the first two pluses only: the base64 key may contain more.
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new MalformedKeyError(`${what}: expected <name>+<key id>+<key>`);
  const [name, hexId, encoded] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (!isValidKeyName(name)) throw new MalformedKeyError(`${what}: invalid key name`);
  if (!/^[0-9a-fA-F]{8}$/.test(hexId)) throw new MalformedKeyError(`${what}: the key id is not 8 hex digits`);
  const bytes = decodeStandardBase64(encoded);
  if (bytes === undefined || bytes.length === 0) throw new MalformedKeyError(`${what}: the key is not standard base64`);
  if (bytes[0] !== ED25519_SIGNATURE_TYPE)
    throw new MalformedKeyError(`${what}: signature type 0x${bytes[0]!.toString(16).padStart(2, '0')} is not Ed25519 (0x01)`);
  return { name, keyId: Number.parseInt(hexId, 16), key: bytes.subarray(1) };
}

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) throw new MalformedKeyError(`key name ${JSON.stringify(name)}: must be non-empty, with no space and no plus`);
}

function assertNoteText(text: string): void {
  if (!text.endsWith('\n')) throw new MalformedNoteError('note text: does not end in a newline');
  if (!isWellFormedUnicode(text)) throw new MalformedNoteError('note text: not valid Unicode (a lone surrogate)');
  assertNoControlCharacters(text, 'note text');
}

function assertNoControlCharacters(text: string, what: string): void {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const found = /[\u0000-\u0009\u000b-\u001f]/.exec(text);
  if (found)
    throw new MalformedNoteError(`${what}: control character U+${found[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${found.index}`);
}

/** Strict decoding: a replacement character would otherwise hide invalid bytes and change what was signed. */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (_error) {
    throw new MalformedNoteError('note: not valid UTF-8');
  }
}

/** A JS string encodes to UTF-8 faithfully only without lone surrogates (String#isWellFormed is ES2024). */
function isWellFormedUnicode(text: string): boolean {
  return !/\p{Surrogate}/u.test(text);
}

function typed(key: Buffer): Buffer {
  return Buffer.concat([Buffer.from([ED25519_SIGNATURE_TYPE]), key]);
}

function keyIdBytes(keyId: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(keyId, 0);
  return bytes;
}

function privateKeyObject(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(publicKey: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

function rawPublicKey(privateKey: KeyObject): Buffer {
  return Buffer.from(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length));
}
