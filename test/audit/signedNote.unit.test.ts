import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkpointOrigin,
  formatCheckpoint,
  MalformedCheckpointError,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
} from '../../src/audit/checkpoint.js';
import {
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  InvalidSignatureError,
  keyIdOf,
  MalformedKeyError,
  MalformedNoteError,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  UnknownKeyError,
  verifierKeyOf,
} from '../../src/audit/signedNote.js';
import { loadOrCreateSigningKey, readSigningKeyFile, SigningKeyFileError, writeSigningKeyFile } from '../../src/audit/signingKeyFile.js';

// golang.org/x/mod/sumdb/note: the package documentation's example and note_test.go (TestSign, TestOpen).
const PETER_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_VKEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const PETER_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG = '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG = '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

// C2SP signed-note.md, "Verifier keys" > "Example" (github.com/C2SP/C2SP at 5ba5ee8).
const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const SPEC_NOTE =
  'This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

/** The spec's key id, computed here from its definition rather than by the module. */
function specKeyId(name: string, publicKey: Buffer): string {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(name, 'utf8'), Buffer.from([0x0a, 0x01]), publicKey]))
    .digest()
    .subarray(0, 4)
    .toString('hex');
}

const ROOT = createHash('sha256').update('root').digest();

describe('keys', () => {
  it('reads the Go example keys and derives the same public key and id from the seed', () => {
    const signer = parseSignerKey(PETER_SKEY);
    expect(formatVerifierKey(verifierKeyOf(signer))).toBe(PETER_VKEY);
    expect(formatSignerKey(signer)).toBe(PETER_SKEY);
    expect(parseVerifierKey(PETER_VKEY)).toEqual(verifierKeyOf(signer));
    expect(specKeyId('PeterNeumann', signer.publicKey)).toBe('c74f20a3');
  });

  it('reads the C2SP example vkey, whose id matches the definition', () => {
    const key = parseVerifierKey(SPEC_VKEY);
    expect(key.name).toBe('example.com/foo');
    expect(specKeyId(key.name, key.publicKey)).toBe('530d903a');
    expect(formatVerifierKey(key)).toBe(SPEC_VKEY);
  });

  it('makes a key whose id and vkey are what the spec defines', () => {
    const signer = generateSignerKey('funding-ledger/test');
    const id = specKeyId('funding-ledger/test', signer.publicKey);
    expect(signer.keyId.toString(16).padStart(8, '0')).toBe(id);
    expect(keyIdOf(signer.name, signer.publicKey)).toBe(signer.keyId);
    const typedKey = Buffer.concat([Buffer.from([0x01]), signer.publicKey]).toString('base64');
    expect(formatVerifierKey(verifierKeyOf(signer))).toBe(`funding-ledger/test+${id}+${typedKey}`);
    expect(parseSignerKey(formatSignerKey(signer))).toEqual(signer);
  });

  it('refuses every truncation and every changed byte of a key text, as Go does', () => {
    for (const [text, parse] of [
      [PETER_VKEY, parseVerifierKey],
      [PETER_SKEY, parseSignerKey],
    ] as const) {
      for (let i = 0; i <= text.length; i++) {
        for (let j = i + 1; j <= text.length; j++) {
          if (i === 0 && j === text.length) continue;
          expect(() => parse(text.slice(i, j)), text.slice(i, j)).toThrow(MalformedKeyError);
        }
      }
      for (let i = 0; i < text.length; i++) {
        const changed = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) + 1) + text.slice(i + 1);
        expect(() => parse(changed), changed).toThrow(MalformedKeyError);
      }
    }
    // From Go's TestNewVerifier: a wrong-length key and an unknown algorithm, each with its id adjusted.
    expect(() => parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==')).toThrow(MalformedKeyError);
    expect(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/not Ed25519/);
  });

  it('refuses key names with a space or a plus', () => {
    expect(() => generateSignerKey('a b')).toThrow(MalformedKeyError);
    expect(() => generateSignerKey('a+b')).toThrow(MalformedKeyError);
    expect(() => generateSignerKey('a\u00a0b')).toThrow(MalformedKeyError);
    expect(() => generateSignerKey('')).toThrow(MalformedKeyError);
  });
});

describe('signing and opening notes', () => {
  it('signs the Go example text to the Go example note, byte for byte', () => {
    expect(signNote(PETER_TEXT, parseSignerKey(PETER_SKEY))).toBe(`${PETER_TEXT}\n${PETER_SIG}`);
  });

  it('opens the C2SP example note', () => {
    const opened = openNote(Buffer.from(SPEC_NOTE, 'utf8'), parseVerifierKey(SPEC_VKEY));
    expect(opened.text).toBe('This is an example message.\n');
  });

  it('opens the Go doubly-signed note with either key, keeping the other signature', () => {
    const note = `${PETER_TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const byPeter = openNote(note, parseVerifierKey(PETER_VKEY));
    expect(byPeter.text).toBe(PETER_TEXT);
    expect(byPeter.verified).toMatchObject({ name: 'PeterNeumann', keyId: 0xc74f20a3 });
    expect(byPeter.others).toMatchObject([{ name: 'EnochRoot', keyId: 0xaf0cfe78 }]);
    expect(openNote(note, parseVerifierKey(ENOCH_VKEY)).verified.name).toBe('EnochRoot');
  });

  it('round-trips a text with empty lines and non-ASCII characters', () => {
    const signer = generateSignerKey('funding-ledger/test');
    const text = 'Förderung\n\nzweite Zeile — ✓\n';
    expect(openNote(signNote(text, signer), verifierKeyOf(signer)).text).toBe(text);
  });

  it('fails on any changed byte of the text or of the signature', () => {
    const signer = generateSignerKey('funding-ledger/test');
    const verifier = verifierKeyOf(signer);
    const text = formatCheckpoint({ origin: 'funding-ledger/test', treeSize: 7, rootHash: ROOT });
    const note = Buffer.from(signNote(text, signer), 'utf8');
    const signatureStart = Buffer.byteLength(text) + 1 + Buffer.byteLength('— funding-ledger/test ');
    const signatureBytes = Buffer.from(note.subarray(signatureStart, note.length - 1).toString(), 'base64');

    for (let i = 0; i < Buffer.byteLength(text); i++) {
      const changed = Buffer.from(note);
      changed[i] = changed[i]! ^ 0x01;
      expect(() => openNote(changed, verifier), `text byte ${i}`).toThrow();
    }
    for (let i = 0; i < signatureBytes.length; i++) {
      const changed = Buffer.from(signatureBytes);
      changed[i] = changed[i]! ^ 0x01;
      const forged = Buffer.concat([note.subarray(0, signatureStart), Buffer.from(`${changed.toString('base64')}\n`)]);
      // Bytes 0-3 are the key id: a changed id is a signature by an unknown key, the rest a bad signature.
      expect(() => openNote(forged, verifier), `signature byte ${i}`).toThrow(i < 4 ? UnknownKeyError : InvalidSignatureError);
    }
  });

  it('fails with another key, and with the right key under another name or id', () => {
    const signer = generateSignerKey('funding-ledger/test');
    const note = signNote('text\n', signer);
    const other = verifierKeyOf(generateSignerKey('funding-ledger/test'));
    expect(() => openNote(note, other)).toThrow(UnknownKeyError);
    // Same name and id as the signer but another public key: the id matches, the signature must not.
    expect(() => openNote(note, { ...other, keyId: signer.keyId })).toThrow(InvalidSignatureError);
    expect(() => openNote(note, { ...verifierKeyOf(signer), keyId: (signer.keyId + 1) >>> 0 })).toThrow(UnknownKeyError);
    expect(() => openNote(note, { ...verifierKeyOf(signer), name: 'funding-ledger/other' })).toThrow(UnknownKeyError);
  });

  it('rejects the malformed notes of Go TestOpen and a few more', () => {
    const peter = parseVerifierKey(PETER_VKEY);
    const bad: (string | Buffer)[] = [
      PETER_TEXT,
      `${PETER_TEXT}\n`,
      `${PETER_TEXT}\n${PETER_SIG.slice(0, -1)}`,
      `\u0001${PETER_TEXT}\n${PETER_SIG}`,
      Buffer.concat([Buffer.from([0xff]), Buffer.from(`${PETER_TEXT}\n${PETER_SIG}`)]),
      `${PETER_TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${PETER_TEXT}\n${PETER_SIG}Unexpected line.\n`,
      `${PETER_TEXT}\n${PETER_SIG.repeat(101)}`,
      `${PETER_TEXT}\n${PETER_SIG.replace('— ', '-- ')}`,
      `${PETER_TEXT}\n${PETER_SIG.replace('x08go', 'x08go ')}`,
      `${PETER_TEXT}\n${PETER_SIG.replace('nAM=', 'nAM')}`,
      `${PETER_TEXT.replace('\n', '\r\n')}\n${PETER_SIG}`,
      `${PETER_TEXT.replace('you', 'y\u0009u')}\n${PETER_SIG}`,
      `${PETER_TEXT}\n${PETER_SIG}`.replace('problem,', 'problem\ud800'),
    ];
    for (const note of bad) expect(() => openNote(note, peter), String(note)).toThrow(MalformedNoteError);
    expect(openNote(`${PETER_TEXT}\n${PETER_SIG.repeat(100)}`, peter).text).toBe(PETER_TEXT);
  });

  it('refuses to sign a text that is not one', () => {
    const signer = generateSignerKey('funding-ledger/test');
    expect(() => signNote('no final newline', signer)).toThrow(/does not end in a newline/);
    expect(() => signNote('tab\there\n', signer)).toThrow(/control character U\+0009/);
    expect(() => signNote('lone \ud800\n', signer)).toThrow(MalformedNoteError);
  });
});

describe('checkpoints', () => {
  it('formats origin, size and base64 root, each with a newline, and parses them back', () => {
    const text = formatCheckpoint({ origin: checkpointOrigin('ledger-1'), treeSize: 20852163, rootHash: ROOT });
    expect(text).toBe(`funding-ledger/ledger-1\n20852163\n${ROOT.toString('base64')}\n`);
    expect(parseCheckpoint(text)).toEqual({ origin: 'funding-ledger/ledger-1', treeSize: 20852163, rootHash: ROOT, extensions: [] });
    expect(formatCheckpoint({ origin: 'o', treeSize: 0, rootHash: ROOT }).split('\n')[1]).toBe('0');
  });

  it('parses the tlog-checkpoint example body, and keeps extension lines without emitting them', () => {
    const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    const parsed = parseCheckpoint(`${body}ext one\next two\n`);
    expect(parsed).toMatchObject({ origin: 'example.com/behind-the-sofa', treeSize: 20852163, extensions: ['ext one', 'ext two'] });
    expect(parsed.rootHash.toString('base64')).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(formatCheckpoint(parsed)).toBe(body);
  });

  it('rejects malformed bodies, naming the line', () => {
    const root = ROOT.toString('base64');
    const bad: [string, RegExp][] = [
      [`o\n1\n${root}`, /newline/],
      [`o\n1\n`, /3 expected/],
      [`o\n01\n${root}\n`, /line 2/],
      [`o\n-1\n${root}\n`, /line 2/],
      [`o\n99999999999999999999\n${root}\n`, /too large/],
      [`o\n1\n${ROOT.toString('base64url')}\n`, /line 3.*base64/],
      [`o\n1\n${ROOT.subarray(1).toString('base64')}\n`, /31 bytes/],
      [`o\n1\n${root}\n\n`, /line 4: empty/],
      [`\n1\n${root}\n`, /line 1: empty/],
    ];
    for (const [text, message] of bad) expect(() => parseCheckpoint(text), text).toThrow(message);
    expect(() => parseCheckpoint(`o\n1\n${root}`)).toThrow(MalformedCheckpointError);
    expect(() => checkpointOrigin('a b')).toThrow(MalformedCheckpointError);
  });

  it('signs and opens a checkpoint', () => {
    const signer = generateSignerKey(checkpointOrigin('ledger-1'));
    const note = signCheckpoint({ origin: signer.name, treeSize: 3, rootHash: ROOT }, signer);
    expect(note.split('\n').at(-2)).toMatch(/^— funding-ledger\/ledger-1 [A-Za-z0-9+/]{91}=$/);
    expect(openCheckpoint(note, verifierKeyOf(signer)).checkpoint).toMatchObject({
      origin: 'funding-ledger/ledger-1',
      treeSize: 3,
      rootHash: ROOT,
    });
  });
});

describe('signing key file', () => {
  const directories: string[] = [];
  const scratch = (): string => {
    const directory = mkdtempSync(join(tmpdir(), 'signing-key-'));
    directories.push(directory);
    return directory;
  };
  afterEach(() => {
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  it('makes the key on first start, mode 0600, and reads the same key afterwards', () => {
    const path = join(scratch(), 'data', 'audit-signing.key');
    const made = loadOrCreateSigningKey(path, 'funding-ledger/ledger-1');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(`${formatSignerKey(made)}\n`);
    expect(loadOrCreateSigningKey(path, 'funding-ledger/ledger-1')).toEqual(made);
  });

  it('never replaces an existing key file', () => {
    const path = join(scratch(), 'audit-signing.key');
    const first = generateSignerKey('n');
    expect(writeSigningKeyFile(path, first)).toBe(true);
    expect(writeSigningKeyFile(path, generateSignerKey('n'))).toBe(false);
    expect(readSigningKeyFile(path)).toEqual(first);
  });

  it('reads a Go signer key file, and refuses a key of another name or a file holding no key', () => {
    const directory = scratch();
    const goKey = join(directory, 'go.key');
    writeFileSync(goKey, `${PETER_SKEY}\n`);
    expect(formatVerifierKey(verifierKeyOf(loadOrCreateSigningKey(goKey, 'PeterNeumann')))).toBe(PETER_VKEY);
    expect(() => loadOrCreateSigningKey(goKey, 'funding-ledger/ledger-1')).toThrow(/holds the key of "PeterNeumann"/);
    const junk = join(directory, 'junk.key');
    writeFileSync(junk, PETER_VKEY);
    expect(() => readSigningKeyFile(junk)).toThrow(SigningKeyFileError);
  });
});
