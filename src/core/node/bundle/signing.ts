// Ed25519 signatures of manifest.json (Node's crypto, RFC 8032: deterministic, so a signed bundle is
// reproducible too). A key is named by its fingerprint: the SHA-256 of its DER SubjectPublicKeyInfo,
// the same as `openssl pkey -pubin -in pub.pem -outform DER | sha256sum`.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError } from '../../common/model/errors.js';
import { BUNDLE_FILES, type SignatureFile } from './bundle-layout.js';

const MAX_KEY_BYTES = 64 * 1024;

const readKeyFile = async (file: string, what: string): Promise<string> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${what} ${file}: cannot read it (${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)})`);
  }
  if (text.length > MAX_KEY_BYTES) throw new InputError(`${what} ${file}: ${text.length} bytes is not a PEM key`);
  return text;
};

export const publicKeyFingerprint = (key: KeyObject): string =>
  createHash('sha256')
    .update((key.type === 'public' ? key : createPublicKey(key)).export({ type: 'spki', format: 'der' }))
    .digest('hex');

/** A PEM Ed25519 private key (PKCS#8, unencrypted). Anything else is bad input. */
export const loadSigningKey = async (file: string): Promise<KeyObject> => {
  const pem = await readKeyFile(file, '--sign-key');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    const msg = (e as Error).message;
    if (/passphrase/i.test(msg)) throw new InputError(`--sign-key ${file}: the key is encrypted; give an unencrypted PKCS#8 Ed25519 key (openssl genpkey -algorithm ed25519 -out key.pem)`);
    throw new InputError(`--sign-key ${file}: not a PEM private key (${msg})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new InputError(`--sign-key ${file}: a ${key.asymmetricKeyType ?? 'unknown'} key; bundles are signed with Ed25519 (openssl genpkey -algorithm ed25519 -out key.pem)`);
  return key;
};

/** A PEM Ed25519 public key (a private key is accepted too: its public half is used). */
export const loadVerifyKey = async (file: string): Promise<KeyObject> => {
  const pem = await readKeyFile(file, '--key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new InputError(`--key ${file}: not a PEM public key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new InputError(`--key ${file}: a ${key.asymmetricKeyType ?? 'unknown'} key; bundles are signed with Ed25519`);
  return key;
};

export const signManifest = (manifestBytes: Uint8Array, key: KeyObject): SignatureFile => ({
  algorithm: 'ed25519',
  signed: BUNDLE_FILES.manifest,
  publicKeySha256: publicKeyFingerprint(key),
  signature: sign(null, manifestBytes, key).toString('base64'),
});

export const signatureValid = (manifestBytes: Uint8Array, sig: SignatureFile, key: KeyObject): boolean => {
  try {
    return verify(null, manifestBytes, key, Buffer.from(sig.signature, 'base64'));
  } catch {
    return false;
  }
};
