/**
 * Finds the PostgreSQL server binaries a local lab runs, and whether Citus is installed next to them.
 * Lookups are synchronous (a couple of short `pg_config` calls) so tests can decide to skip at load time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execaSync } from 'execa';
import { LabError } from '../../errors.js';

export const MIN_PG_MAJOR = 15;
const SERVER_PROGRAMS = ['initdb', 'pg_ctl', 'postgres'] as const;
const DEBIAN_ROOT = '/usr/lib/postgresql';

export interface PgBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly pgCtl: string;
  readonly postgres: string;
}

/** Where PostgreSQL looks for extensions: `<sharedir>/extension/*.control` and `<pkglibdir>/*.so`. */
export interface PgInstallDirs {
  readonly sharedir: string;
  readonly pkglibdir: string;
}

export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function hasServerPrograms(binDir: string): boolean {
  return SERVER_PROGRAMS.every((program) => isExecutable(path.join(binDir, program)));
}

function pgConfig(pgConfigPath: string, ...flags: string[]): string[] | undefined {
  const result = execaSync(pgConfigPath, flags, { reject: false, stdin: 'ignore', stderr: 'ignore' });
  return result.exitCode === 0 ? result.stdout.trim().split('\n') : undefined;
}

function majorOf(versionLine: string | undefined): number | undefined {
  const match = /PostgreSQL (\d+)/.exec(versionLine ?? '');
  return match?.[1] ? Number(match[1]) : undefined;
}

function pgConfigOnPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, 'pg_config'))) return path.join(dir, 'pg_config');
  }
  return undefined;
}

/** The bin dir `pg_config` on PATH points at, if it holds a server of a supported version (libpq-dev's does not). */
function binDirFromPathPgConfig(): string | undefined {
  const onPath = pgConfigOnPath();
  if (!onPath) return undefined;
  const [binDir, version] = pgConfig(onPath, '--bindir', '--version') ?? [];
  const major = majorOf(version);
  if (!binDir || major === undefined || major < MIN_PG_MAJOR) return undefined;
  return hasServerPrograms(binDir) ? binDir : undefined;
}

/** Debian/Ubuntu keep each major version in /usr/lib/postgresql/<major>/bin; the newest wins. */
function newestDebianBinDir(): string | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync(DEBIAN_ROOT);
  } catch {
    return undefined;
  }
  const majors = entries
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((major) => major >= MIN_PG_MAJOR)
    .sort((a, b) => b - a);
  for (const major of majors) {
    const binDir = path.join(DEBIAN_ROOT, String(major), 'bin');
    if (hasServerPrograms(binDir)) return binDir;
  }
  return undefined;
}

/**
 * Resolves the bin dir: an explicit dir (option, then CITUS_LAB_PG_BIN) is used as given and never
 * second-guessed; otherwise `pg_config` on PATH, then the newest Debian-style install.
 */
export function findPgBinaries(explicitBinDir?: string): PgBinaries {
  const explicit = explicitBinDir ?? (process.env.CITUS_LAB_PG_BIN || undefined);
  const binDir = explicit ? path.resolve(explicit) : (binDirFromPathPgConfig() ?? newestDebianBinDir());
  if (!binDir || !hasServerPrograms(binDir)) {
    const where = binDir ? ` in ${binDir}` : '';
    throw new LabError(
      'PostgresBinariesMissing',
      `PostgreSQL server binaries (${SERVER_PROGRAMS.join(', ')}) not found${where}: ` +
        'run `npm run setup` (installs postgresql-15) or set CITUS_LAB_PG_BIN.',
    );
  }
  return {
    binDir,
    initdb: path.join(binDir, 'initdb'),
    pgCtl: path.join(binDir, 'pg_ctl'),
    postgres: path.join(binDir, 'postgres'),
  };
}

/**
 * Asks the `pg_config` that belongs to these binaries where extensions live. The one on PATH is only
 * trusted when it reports the same bin dir, since another install's answer would be about another server.
 */
export function pgInstallDirs(binDir: string): PgInstallDirs | undefined {
  const candidates = [path.join(binDir, 'pg_config'), pgConfigOnPath()].filter((c): c is string => !!c);
  for (const candidate of candidates) {
    if (!isExecutable(candidate)) continue;
    const [reportedBinDir, sharedir, pkglibdir] = pgConfig(candidate, '--bindir', '--sharedir', '--pkglibdir') ?? [];
    if (!sharedir || !pkglibdir) continue;
    if (candidate !== path.join(binDir, 'pg_config') && path.resolve(reportedBinDir ?? '') !== binDir) continue;
    return { sharedir, pkglibdir };
  }
  return undefined;
}

/** Citus is usable when both its control file and its shared library are where this server looks. */
export function citusInstalledIn(dirs: PgInstallDirs): boolean {
  return (
    fs.existsSync(path.join(dirs.sharedir, 'extension', 'citus.control')) &&
    fs.existsSync(path.join(dirs.pkglibdir, 'citus.so'))
  );
}

export function assertCitusInstalled(binDir: string): void {
  const dirs = pgInstallDirs(binDir);
  if (dirs && citusInstalledIn(dirs)) return;
  const where = dirs
    ? `${path.join(dirs.sharedir, 'extension', 'citus.control')} or ${path.join(dirs.pkglibdir, 'citus.so')} is missing`
    : `no pg_config found for ${binDir} to locate its extensions`;
  throw new LabError(
    'CitusNotInstalled',
    `Citus is not installed for the PostgreSQL in ${binDir} (${where}): Citus is not in any package registry here; ` +
      'build it from source per its README and `make install` against this PostgreSQL, or use --env compose/minikube.',
  );
}

/** For tests and callers that want to skip rather than fail: true when the default PostgreSQL has Citus. */
export function citusInstalled(explicitBinDir?: string): boolean {
  try {
    const { binDir } = findPgBinaries(explicitBinDir);
    const dirs = pgInstallDirs(binDir);
    return dirs !== undefined && citusInstalledIn(dirs);
  } catch {
    return false;
  }
}
