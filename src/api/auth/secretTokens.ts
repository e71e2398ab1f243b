/**
 * Opaque secrets handed to clients: refresh tokens and API keys. 256 random bits with a readable
 * prefix (`clr_` refresh, `clk_` key) so a leaked one is recognisable in a log or a scanner; stored only
 * as SHA-256 hex. A fast hash is right here: the secret is random, not a password someone chose.
 */
import { createHash, randomBytes } from 'node:crypto';

export type SecretKind = 'refresh' | 'apiKey';

const PREFIX: Record<SecretKind, string> = { refresh: 'clr_', apiKey: 'clk_' };

export function newSecret(kind: SecretKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Cheap shape check before touching the database (also bounds what a client can make us hash). */
export function looksLike(kind: SecretKind, value: string): boolean {
  return value.length === PREFIX[kind].length + 43 && value.startsWith(PREFIX[kind]) && /^[A-Za-z0-9_-]+$/.test(value.slice(4));
}
