/**
 * The compose lab's password lives in its env file (infra/compose/.env, git-ignored): written once with
 * a generated password when missing, mode 0600, never printed; a user's own file is only read.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDir } from '../../config/dataDir.js';
import { LabError } from '../../errors.js';

export const PASSWORD_VARIABLE = 'CITUS_LAB_POSTGRES_PASSWORD';

/** Creates the env file with a generated password unless it exists; true when this call created it. */
export function ensureEnvFile(file: string): boolean {
  if (fs.existsSync(file)) {
    readComposePassword(file);
    return false;
  }
  ensureDir(path.dirname(file));
  const text =
    '# Written by citus-lab on the first deploy: the lab\'s PostgreSQL password (git-ignored, keep it private).\n' +
    `${PASSWORD_VARIABLE}=${randomBytes(24).toString('base64url')}\n`;
  try {
    fs.writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (err) {
    // Another run wrote it first: its password stands.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export function readComposePassword(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new LabError('ConfigInvalid', `There is no compose env file ${file}: the lab was never provisioned; run deploy --env compose first.`);
  }
  const value = envValue(text, PASSWORD_VARIABLE);
  if (!value) {
    throw new LabError(
      'ConfigInvalid',
      `${file} sets no ${PASSWORD_VARIABLE}: add a password there (see infra/compose/.env.example) or delete the file to have deploy generate one.`,
    );
  }
  return value;
}

/** `KEY=value` as Compose reads it: comments, `export`, optional quotes. */
function envValue(text: string, key: string): string | undefined {
  let found: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0 || line.slice(0, eq).trim() !== key) continue;
    let value = line.slice(eq + 1).trim();
    const quoted = /^(['"])(.*)\1$/.exec(value);
    value = quoted ? (quoted[2] ?? '') : value.replace(/\s+#.*$/, '');
    found = value;
  }
  return found;
}
