/**
 * The server's token signing key: Ed25519 (JWS alg EdDSA), created once, private key kept as PKCS#8
 * PEM mode 0600 in the lab's secrets directory (0700). Its `kid` is the RFC 7638 thumbprint of the
 * public key, so the same file always gives the same kid and a new key a new one.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

export const SIGNING_ALG = 'EdDSA';
export const SIGNING_KEY_FILE = 'api-signing-key.pem';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public half as published at /.well-known/jwks.json. */
  readonly publicJwk: JWK;
}

export async function signingKeyFromPem(pem: string): Promise<SigningKey> {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the API signing key must be an Ed25519 key');
  const publicKey = createPublicKey(privateKey);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg: SIGNING_ALG, use: 'sig' } };
}

/** A key that lives only in memory (tests, or a second key to prove foreign signatures fail). */
export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

export function signingKeyPath(secretsDir: string): string {
  return path.join(secretsDir, SIGNING_KEY_FILE);
}

export async function readSigningKey(secretsDir: string): Promise<SigningKey> {
  return signingKeyFromPem(fs.readFileSync(signingKeyPath(secretsDir), 'utf8'));
}

/** Reads the key, creating it on first use ('wx': two concurrent deploys cannot write two different keys). */
export async function ensureSigningKey(secretsDir: string): Promise<SigningKey> {
  const file = signingKeyPath(secretsDir);
  if (fs.existsSync(file)) return readSigningKey(secretsDir);
  fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readSigningKey(secretsDir);
}
