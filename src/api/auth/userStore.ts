/** The API's accounts (table api_users): the only module that reads or writes them. */
import type { Queryable } from './db.js';
import { isRole, type Role } from './roles.js';

export interface ApiUser {
  readonly username: string;
  readonly role: Role;
  readonly documentoId?: string;
  readonly active: boolean;
}

export interface StoredUser extends ApiUser {
  readonly passwordHash: string;
}

interface UserRow {
  username: string;
  role: string;
  documento_id: string | null;
  active: boolean;
  password_hash: string;
}

/** 1-64 of letters, digits, `.`, `_`, `-`: safe in a URL path, a file name under secrets/ and a log line. */
export const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function toUser(row: UserRow): StoredUser {
  if (!isRole(row.role)) throw new Error(`api_users.role of ${row.username} is ${row.role}, which is no role`);
  return {
    username: row.username,
    role: row.role,
    ...(row.documento_id !== null ? { documentoId: row.documento_id } : {}),
    active: row.active,
    passwordHash: row.password_hash,
  };
}

export function publicUser(user: ApiUser): ApiUser {
  return { username: user.username, role: user.role, ...(user.documentoId ? { documentoId: user.documentoId } : {}), active: user.active };
}

export async function findUser(db: Queryable, username: string): Promise<StoredUser | undefined> {
  const { rows } = await db.query<UserRow>(
    'SELECT username, role, documento_id::text AS documento_id, active, password_hash FROM api_users WHERE username = $1',
    [username],
  );
  return rows[0] ? toUser(rows[0]) : undefined;
}

export async function listUsers(db: Queryable): Promise<ApiUser[]> {
  const { rows } = await db.query<UserRow>(
    'SELECT username, role, documento_id::text AS documento_id, active, password_hash FROM api_users ORDER BY username',
  );
  return rows.map((r) => publicUser(toUser(r)));
}

export interface NewUser {
  readonly username: string;
  readonly role: Role;
  readonly documentoId?: string;
  readonly passwordHash: string;
}

/** Inserts the user; false when the name is taken (nothing changes then). */
export async function createUser(db: Queryable, user: NewUser): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO api_users (username, role, documento_id, password_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (username) DO NOTHING`,
    [user.username, user.role, user.documentoId ?? null, user.passwordHash],
  );
  return rowCount === 1;
}

export interface UserChange {
  readonly role?: Role;
  /** null clears it (a role other than patient). */
  readonly documentoId?: string | null;
  readonly active?: boolean;
  readonly passwordHash?: string;
}

/** Applies the change; the updated user, or undefined when there is no such user. */
export async function updateUser(db: Queryable, username: string, change: UserChange): Promise<ApiUser | undefined> {
  const { rows } = await db.query<UserRow>(
    `UPDATE api_users
        SET role = COALESCE($2, role),
            documento_id = CASE WHEN $3::boolean THEN $4::bigint ELSE documento_id END,
            active = COALESCE($5, active),
            password_hash = COALESCE($6, password_hash),
            updated_at = now()
      WHERE username = $1
  RETURNING username, role, documento_id::text AS documento_id, active, password_hash`,
    [
      username,
      change.role ?? null,
      change.documentoId !== undefined,
      change.documentoId ?? null,
      change.active ?? null,
      change.passwordHash ?? null,
    ],
  );
  return rows[0] ? publicUser(toUser(rows[0])) : undefined;
}
