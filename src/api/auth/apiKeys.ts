/**
 * API keys for scripts and services (table api_keys): created by an admin, shown once, stored as a
 * hash, acting as one user with at most the scopes given (cut to the user's role when used), revocable.
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from './db.js';
import { hashSecret, looksLike, newSecret } from './secretTokens.js';

export interface ApiKeyInfo {
  readonly keyId: string;
  readonly name: string;
  readonly username: string;
  readonly scopes: readonly string[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
}

interface KeyRow {
  key_id: string;
  name: string;
  username: string;
  scopes: string[];
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'key_id::text, name, username, scopes, created_by, created_at, expires_at, revoked_at';

function toInfo(r: KeyRow): ApiKeyInfo {
  return {
    keyId: r.key_id,
    name: r.name,
    username: r.username,
    scopes: r.scopes,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    ...(r.expires_at ? { expiresAt: r.expires_at.toISOString() } : {}),
    ...(r.revoked_at ? { revokedAt: r.revoked_at.toISOString() } : {}),
  };
}

export interface NewApiKey {
  readonly name: string;
  readonly username: string;
  readonly scopes: readonly string[];
  readonly createdBy: string;
  readonly expiresAt?: Date;
}

/** The key's description and its secret: the only time the secret exists outside the caller. */
export async function createApiKey(db: Queryable, key: NewApiKey): Promise<{ info: ApiKeyInfo; secret: string }> {
  const secret = newSecret('apiKey');
  const { rows } = await db.query<KeyRow>(
    `INSERT INTO api_keys (key_id, key_hash, name, username, scopes, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [randomUUID(), hashSecret(secret), key.name, key.username, key.scopes, key.createdBy, key.expiresAt ?? null],
  );
  return { info: toInfo(rows[0] as KeyRow), secret };
}

/** The live key with this secret (not revoked, not expired), or undefined. */
export async function findApiKey(db: Queryable, secret: string): Promise<ApiKeyInfo | undefined> {
  if (!looksLike('apiKey', secret)) return undefined;
  const { rows } = await db.query<KeyRow>(
    `SELECT ${COLUMNS} FROM api_keys
      WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
    [hashSecret(secret)],
  );
  return rows[0] ? toInfo(rows[0]) : undefined;
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, key_id`);
  return rows.map(toInfo);
}

/** Revokes the key; false when there is no such live key. */
export async function revokeApiKey(db: Queryable, keyId: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE api_keys SET revoked_at = now() WHERE key_id = $1::uuid AND revoked_at IS NULL', [keyId]);
  return rowCount === 1;
}
