/**
 * The API's secrets and first accounts, for the deploy (idempotent: run it on every deploy, after the
 * schema step and the sample data). It makes sure that
 *
 *   <secretsDir>/api-signing-key.pem      the Ed25519 key tokens are signed with (0600)
 *   <secretsDir>/api-users/<role>         a generated password per account (0600; never printed)
 *
 * exist, and that the accounts `admin`, `practitioner`, `patient` (linked to one loaded patient) and
 * `auditor` exist in api_users with those passwords. A lab deployed without patients (`--patients 0`)
 * gets no `patient` account until a deploy finds one: that account must be someone. An account whose row exists and whose file
 * exists is left alone (an admin may have changed it on purpose); a lost file gets a new password.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from './db.js';
import { generatePassword, hashPassword } from './passwords.js';
import { ROLES, type Role } from './roles.js';
import { ensureSigningKey, signingKeyPath } from './signingKey.js';
import { createUser, findUser, updateUser } from './userStore.js';

export const USERS_DIR = 'api-users';

export interface ApiSecretsOptions {
  /** The lab's secrets directory (local labs: `<data dir>/<cluster>/secrets`; see apiSecretsDir). */
  readonly secretsDir: string;
  /** A connection to the lab's database (coordinator), with the migrations applied. */
  readonly db: Queryable;
  /** The patient the `patient` account is; default: the loaded patient with the lowest documento_id. */
  readonly patientDocumentoId?: string;
}

export interface ApiSecretsResult {
  readonly signingKeyFile: string;
  readonly kid: string;
  readonly users: readonly { username: string; role: Role; passwordFile: string; created: boolean; passwordWritten: boolean }[];
  /** Accounts not made this time, and why (the `patient` account while no patient is loaded). */
  readonly skipped: readonly { username: string; reason: string }[];
}

export function apiSecretsDir(spec: { readonly dataDir: string; readonly cluster: string }): string {
  return path.join(spec.dataDir, spec.cluster, 'secrets');
}

export function passwordFile(secretsDir: string, username: string): string {
  return path.join(secretsDir, USERS_DIR, username);
}

/** The generated password of a deploy-created account (tests and scripts; never logged). */
export function readApiPassword(secretsDir: string, username: string): string {
  return fs.readFileSync(passwordFile(secretsDir, username), 'utf8').trim();
}

function readIfPresent(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes a new password file; if another deploy won the race, its password is the one kept. */
function writePasswordFile(file: string): { password: string; written: boolean } {
  const password = generatePassword();
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${password}\n`, { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
    return { password, written: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { password: readIfPresent(file) ?? password, written: false };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

async function patientOf(db: Queryable, explicit: string | undefined): Promise<string | undefined> {
  if (explicit) return explicit;
  const { rows } = await db.query<{ documento_id: string | null }>('SELECT min(documento_id)::text AS documento_id FROM pacientes');
  return rows[0]?.documento_id ?? undefined;
}

export async function ensureApiSecrets(options: ApiSecretsOptions): Promise<ApiSecretsResult> {
  const { secretsDir, db } = options;
  fs.mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(secretsDir, 0o700);
  const key = await ensureSigningKey(secretsDir);
  const usersDir = path.join(secretsDir, USERS_DIR);
  fs.mkdirSync(usersDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(usersDir, 0o700);

  const users = [];
  const skipped = [];
  for (const role of ROLES) {
    const username = role;
    const file = passwordFile(secretsDir, username);
    const existing = await findUser(db, username);
    const documentoId = !existing && role === 'patient' ? await patientOf(db, options.patientDocumentoId) : undefined;
    if (!existing && role === 'patient' && !documentoId) {
      skipped.push({ username, reason: 'no patient is loaded: the next deploy with sample data creates it' });
      continue;
    }
    let password = readIfPresent(file);
    let passwordWritten = false;
    if (!password) {
      ({ password, written: passwordWritten } = writePasswordFile(file));
    }
    fs.chmodSync(file, 0o600);
    let created = false;
    if (!existing) {
      created = await createUser(db, { username, role, ...(documentoId ? { documentoId } : {}), passwordHash: await hashPassword(password) });
    } else if (passwordWritten) {
      await updateUser(db, username, { passwordHash: await hashPassword(password), active: true });
    }
    users.push({ username, role, passwordFile: file, created, passwordWritten });
  }
  return { signingKeyFile: signingKeyPath(secretsDir), kid: key.kid, users, skipped };
}
