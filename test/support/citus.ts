/**
 * Tests that need Citus run only where it is installed (it is in no package registry, so a fresh CI
 * machine lacks it) and say so in one line instead of failing.
 */
import fs from 'node:fs';
import path from 'node:path';
import { findPgBinaries, pgInstallDirs } from '../../src/environments/local/pgBinaries.js';

export interface CitusAvailability {
  readonly installed: boolean;
  /** Why not, when not installed: `no citus.control in <dir>`, ... */
  readonly reason: string;
}

let cached: CitusAvailability | undefined;

function detect(): CitusAvailability {
  // Lets a machine with Citus exercise the skip path too.
  if (process.env.CITUS_LAB_TEST_NO_CITUS) return { installed: false, reason: 'CITUS_LAB_TEST_NO_CITUS is set' };
  let binDir: string;
  try {
    binDir = findPgBinaries().binDir;
  } catch (err) {
    return { installed: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const dirs = pgInstallDirs(binDir);
  if (!dirs) return { installed: false, reason: `no pg_config next to ${binDir} to locate extensions` };
  const extensionDir = path.join(dirs.sharedir, 'extension');
  if (!fs.existsSync(path.join(extensionDir, 'citus.control'))) {
    return { installed: false, reason: `no citus.control in ${extensionDir}` };
  }
  if (!fs.existsSync(path.join(dirs.pkglibdir, 'citus.so'))) {
    return { installed: false, reason: `no citus.so in ${dirs.pkglibdir}` };
  }
  return { installed: true, reason: '' };
}

export function citusAvailability(): CitusAvailability {
  cached ??= detect();
  return cached;
}

const announced = new Set<string>();

/** `describe` when Citus is installed; otherwise one `SKIP` line and `describe.skip`. */
export function describeIfCitus(name: string, fn: () => void): void {
  const { installed, reason } = citusAvailability();
  if (installed) {
    describe(name, fn);
    return;
  }
  if (!announced.has(name)) {
    announced.add(name);
    process.stderr.write(`SKIP ${name}: Citus is not installed (${reason})\n`);
  }
  describe.skip(name, fn);
}
