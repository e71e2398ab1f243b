/**
 * Refresh tokens (table api_refresh_tokens), rotated on every use. A login starts a family; each
 * refresh marks the presented token used and issues the next one of the family. Presenting a token
 * that was already used means two parties hold it (one of them stole it), so the whole family is
 * revoked and both must log in again (OAuth 2.0 Security BCP, refresh token rotation).
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { inTransaction, type Queryable } from './db.js';
import { hashSecret, looksLike, newSecret } from './secretTokens.js';

export const REFRESH_TOKEN_SECONDS = 8 * 60 * 60;

export async function issueRefreshToken(db: Queryable, username: string, familyId: string = randomUUID()): Promise<string> {
  const secret = newSecret('refresh');
  await db.query(
    `INSERT INTO api_refresh_tokens (token_hash, family_id, username, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [hashSecret(secret), familyId, username, REFRESH_TOKEN_SECONDS],
  );
  return secret;
}

export type Rotation =
  | { readonly ok: true; readonly username: string; readonly refreshToken: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'expired' | 'revoked' | 'reused'; readonly username?: string };

interface TokenRow {
  family_id: string;
  username: string;
  used: boolean;
  revoked: boolean;
  expired: boolean;
}

export async function rotateRefreshToken(pool: Pool, secret: string): Promise<Rotation> {
  if (!looksLike('refresh', secret)) return { ok: false, reason: 'unknown' };
  const hash = hashSecret(secret);
  return inTransaction(pool, async (client) => {
    // One conditional UPDATE claims the token, so two concurrent refreshes cannot both succeed.
    const claimed = await client.query<{ family_id: string; username: string }>(
      `UPDATE api_refresh_tokens SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
    RETURNING family_id::text, username`,
      [hash],
    );
    const row = claimed.rows[0];
    if (row) return { ok: true, username: row.username, refreshToken: await issueRefreshToken(client, row.username, row.family_id) };

    const { rows } = await client.query<TokenRow>(
      `SELECT family_id::text, username, used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked, expires_at <= now() AS expired
         FROM api_refresh_tokens WHERE token_hash = $1`,
      [hash],
    );
    const found = rows[0];
    if (!found) return { ok: false, reason: 'unknown' };
    if (found.revoked) return { ok: false, reason: 'revoked', username: found.username };
    if (found.used) {
      await revokeFamily(client, found.family_id);
      return { ok: false, reason: 'reused', username: found.username };
    }
    return { ok: false, reason: 'expired', username: found.username };
  });
}

async function revokeFamily(db: Queryable, familyId: string): Promise<void> {
  await db.query('UPDATE api_refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL', [familyId]);
}

/** Logout: revokes the family of the presented token. The owner's name, or undefined for a token we never issued. */
export async function revokeRefreshToken(db: Queryable, secret: string): Promise<string | undefined> {
  if (!looksLike('refresh', secret)) return undefined;
  const { rows } = await db.query<{ family_id: string; username: string }>(
    'SELECT family_id::text, username FROM api_refresh_tokens WHERE token_hash = $1',
    [hashSecret(secret)],
  );
  const row = rows[0];
  if (!row) return undefined;
  await revokeFamily(db, row.family_id);
  return row.username;
}

/** Every session of a user (password change, deactivation). */
export async function revokeUserTokens(db: Queryable, username: string): Promise<void> {
  await db.query('UPDATE api_refresh_tokens SET revoked_at = now() WHERE username = $1 AND revoked_at IS NULL', [username]);
}
