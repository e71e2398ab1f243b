/**
 * The lab's superuser password and the files that carry it. It is generated once, kept 0600 in a
 * 0700 directory of the tool's user, and handed to PostgreSQL only through files: never argv, env or logs.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDir } from '../../config/dataDir.js';
import { LabError } from '../../errors.js';
import type { LabLayout } from './labLayout.js';
import { giveToServer, type ServerUser } from './serverUser.js';

export const SUPERUSER = 'postgres';
const MIN_PASSWORD_LENGTH = 32;

/** base64url has no `:` or `\`, so the password needs no escaping in pgpass files or conninfo strings. */
function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}

export function readPassword(layout: LabLayout): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(layout.passwordFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const password = text.trim();
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new LabError(
      'ConfigInvalid',
      `The password file ${layout.passwordFile} is damaged (too short): remove the lab with teardown --remove-data and provision it again.`,
    );
  }
  return password;
}

/** Returns the lab's password, creating it on first use. */
export function ensurePassword(layout: LabLayout): string {
  const existing = readPassword(layout);
  if (existing) return existing;
  ensureDir(layout.secretsDir, 0o700);
  fs.chmodSync(layout.secretsDir, 0o700);
  const password = generatePassword();
  // 'wx' so two concurrent provisions cannot each write a different password.
  try {
    fs.writeFileSync(layout.passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return ensurePassword(layout);
    throw err;
  }
  return password;
}

/** Creates the server user's private directory, where its pgpass and initdb's pwfile live. */
export function ensureServerDir(layout: LabLayout, user: ServerUser): void {
  ensureDir(layout.serverDir, 0o700);
  fs.chmodSync(layout.serverDir, 0o700);
  giveToServer(user, layout.serverDir);
}

/** Writes a file only the server user can read, via rename so readers never see half a file. */
function writeServerSecret(user: ServerUser, file: string, content: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  giveToServer(user, tmp);
  fs.renameSync(tmp, file);
}

/**
 * The pgpass the postmaster gets as PGPASSFILE: Citus opens libpq connections from node to node, and
 * with scram on every TCP line they need the password. One line per node port, loopback only.
 */
export function writeServerPgpass(layout: LabLayout, user: ServerUser, ports: number[], password: string): void {
  ensureServerDir(layout, user);
  const lines = ports.map((port) => `127.0.0.1:${port}:*:${SUPERUSER}:${password}`);
  writeServerSecret(user, layout.pgpassFile, `${lines.join('\n')}\n`);
}

/** Runs `fn` with a pwfile for initdb that exists only for the duration of the call. */
export async function withInitdbPwfile<T>(
  layout: LabLayout,
  user: ServerUser,
  nodeName: string,
  password: string,
  fn: (pwfile: string) => Promise<T>,
): Promise<T> {
  ensureServerDir(layout, user);
  const pwfile = path.join(layout.serverDir, `initdb-${nodeName}.pw`);
  writeServerSecret(user, pwfile, `${password}\n`);
  try {
    return await fn(pwfile);
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}
