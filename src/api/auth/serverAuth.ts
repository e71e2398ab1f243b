/**
 * What serveApi needs to turn authentication on: the lab's secrets directory, where deploy's
 * ensureApiSecrets left the signing key. Without auth the server refuses any address but loopback.
 */
import fs from 'node:fs';
import { LabError } from '../../errors.js';
import { readSigningKey, signingKeyPath, type SigningKey } from './signingKey.js';

export interface ApiAuthConfig {
  /** `<data dir>/<cluster>/secrets` for a deployed lab (apiSecretsDir(spec)). */
  readonly secretsDir: string;
  /** How long a user row is reused between requests (default 2 s; changes through /admin apply at once). */
  readonly userCacheMs?: number;
}

export async function loadSigningKey(config: ApiAuthConfig): Promise<SigningKey> {
  const file = signingKeyPath(config.secretsDir);
  if (!fs.existsSync(file)) {
    throw new LabError('ConfigInvalid', `the API signing key ${file} does not exist: deploy the lab (it creates the API's key and accounts) before serving its API.`);
  }
  return readSigningKey(config.secretsDir);
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Beyond loopback only with authentication on: an open clinical API must never be reachable from outside. */
export function assertListenAllowed(host: string, authenticated: boolean): void {
  if (!authenticated && !LOOPBACK.test(host)) {
    throw new LabError('ConfigInvalid', `the API listens on ${host} only with authentication on (serveApi's auth option); without it, only on 127.0.0.1.`);
  }
}
