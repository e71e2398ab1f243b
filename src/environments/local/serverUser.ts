/**
 * Which OS user runs PostgreSQL. initdb and postgres refuse to run as root, so a root caller hands the
 * server to the unprivileged `postgres` user; anyone else runs the server as themselves.
 */
import fs from 'node:fs';
import os from 'node:os';
import { LabError } from '../../errors.js';

const SERVER_ACCOUNT = 'postgres';

export interface ServerUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  /** True when the caller is root and must switch to this user to run PostgreSQL programs. */
  readonly switched: boolean;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function passwdEntry(name: string, passwdFile = '/etc/passwd'): PasswdEntry | undefined {
  let text: string;
  try {
    text = fs.readFileSync(passwdFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [user, , uid, gid, , home] = line.split(':');
    if (user === name && uid && gid) return { name, uid: Number(uid), gid: Number(gid), home: home || '/' };
  }
  return undefined;
}

export function resolveServerUser(): ServerUser {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) {
    const me = os.userInfo();
    return { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir, switched: false };
  }
  const entry = passwdEntry(SERVER_ACCOUNT);
  if (!entry || entry.uid === 0) {
    throw new LabError(
      'ConfigInvalid',
      `PostgreSQL cannot run as root and there is no unprivileged "${SERVER_ACCOUNT}" OS user: ` +
        `create one (\`useradd --system --create-home ${SERVER_ACCOUNT}\`) or run citus-lab as a non-root user.`,
    );
  }
  return { ...entry, switched: true };
}

export interface SpawnAs {
  uid?: number;
  gid?: number;
  extendEnv: false;
  env: Record<string, string>;
}

/**
 * Spawn options that run a program as the server user, with a clean environment: the postmaster
 * passes its environment to every libpq connection Citus opens, so stray PG* variables of the caller
 * (PGHOST, PGPASSWORD, PGSSLMODE...) must not leak in. HOME is the server user's own, not root's.
 */
export function spawnAs(user: ServerUser): SpawnAs {
  const env: Record<string, string> = { HOME: user.home, USER: user.name, LOGNAME: user.name, LC_ALL: 'C' };
  if (process.env.PATH) env.PATH = process.env.PATH;
  if (process.env.TZ) env.TZ = process.env.TZ;
  return user.switched ? { uid: user.uid, gid: user.gid, extendEnv: false, env } : { extendEnv: false, env };
}

/** Hands a path we created to the server user; a no-op when we already are that user. */
export function giveToServer(user: ServerUser, file: string): void {
  if (user.switched) fs.chownSync(file, user.uid, user.gid);
}

/**
 * Whether the server user may enter a directory: compares the owner/group/other execute bits the way
 * the kernel does (ACLs aside) when we switch users, since spawn keeps only the primary group.
 */
export function canTraverse(user: ServerUser, dir: string): boolean {
  if (!user.switched) {
    try {
      fs.accessSync(dir, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  const st = fs.statSync(dir);
  if (st.uid === user.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === user.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}
