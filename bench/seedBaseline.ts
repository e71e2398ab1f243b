/**
 * Runs the seed-style baseline (`shared/bench/seed_baseline.sh`: bash + psql, as the seed lab's
 * scripts do) on this machine, in this run, so ratios compare like with like. It must run as a
 * non-root user (initdb refuses root): as root it runs as the `postgres` OS user.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { findPgBinaries } from '../src/environments/local/pgBinaries.js';
import type { SeedBaseline } from './types.js';

/** `shared/` sits next to the checkout; a git worktree elsewhere points at it with CITUS_LAB_SEED_BASELINE. */
export const SEED_BASELINE = process.env.CITUS_LAB_SEED_BASELINE || fileURLToPath(new URL('../../shared/bench/seed_baseline.sh', import.meta.url));

export async function runSeedBaseline(basePort: number): Promise<SeedBaseline> {
  if (!fs.existsSync(SEED_BASELINE)) throw new Error(`no seed baseline script at ${SEED_BASELINE}: set CITUS_LAB_SEED_BASELINE, or run with --no-baseline`);
  const pgBin = findPgBinaries().binDir;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-seed-'));
  fs.chmodSync(workDir, 0o777);
  const asRoot = process.getuid?.() === 0;
  const env = { PG_BIN: pgBin, BASE_PORT: String(basePort), WORKDIR: path.join(workDir, 'w'), PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const command = asRoot
    ? execa('runuser', ['-u', 'postgres', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'bash', SEED_BASELINE], {
        cwd: workDir,
      })
    : execa('bash', [SEED_BASELINE], { env, cwd: workDir });
  try {
    const { stdout } = await command;
    return JSON.parse(stdout) as SeedBaseline;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

