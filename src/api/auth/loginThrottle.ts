/**
 * Brute-force limit on POST /auth/login: after 5 failures for one username, or from one address,
 * within 15 minutes, further attempts are refused (429) without checking the password, until the
 * oldest of those 5 failures leaves the window. Kept in the database (table api_login_failures) so a
 * restart of the server does not reset it.
 */
import type { Queryable } from './db.js';

export const MAX_FAILURES = 5;
export const WINDOW_SECONDS = 15 * 60;

/** Seconds until a login may be tried again, or 0 when it may now. */
export async function lockedForSeconds(db: Queryable, username: string, address: string): Promise<number> {
  const { rows } = await db.query<{ wait: number | null }>(
    `SELECT GREATEST(
       (SELECT extract(epoch FROM failed_at + make_interval(secs => $4) - clock_timestamp())
          FROM api_login_failures WHERE username = $1 AND failed_at > clock_timestamp() - make_interval(secs => $4)
         ORDER BY failed_at DESC OFFSET $3 - 1 LIMIT 1),
       (SELECT extract(epoch FROM failed_at + make_interval(secs => $4) - clock_timestamp())
          FROM api_login_failures WHERE address = $2 AND failed_at > clock_timestamp() - make_interval(secs => $4)
         ORDER BY failed_at DESC OFFSET $3 - 1 LIMIT 1)
     )::float8 AS wait`,
    [username, address, MAX_FAILURES, WINDOW_SECONDS],
  );
  const wait = rows[0]?.wait ?? 0;
  return wait > 0 ? Math.ceil(wait) : 0;
}

export async function recordFailure(db: Queryable, username: string, address: string): Promise<void> {
  // Two statements, not a modifying CTE: Citus plans those poorly on reference tables.
  await db.query('DELETE FROM api_login_failures WHERE failed_at < now() - make_interval(secs => $1)', [WINDOW_SECONDS]);
  await db.query('INSERT INTO api_login_failures (username, address) VALUES ($1, $2)', [username, address]);
}

/** A successful login forgets that user's failures (those of the address stay: other names may be under attack). */
export async function clearFailures(db: Queryable, username: string): Promise<void> {
  await db.query('DELETE FROM api_login_failures WHERE username = $1', [username]);
}
