import fs from 'node:fs';
import path from 'node:path';
import { parseLabSpec } from '../../../src/config/labSpec.js';
import { LocalEnvironment } from '../../../src/environments/local/localEnvironment.js';
import {
  citusInstalled,
  citusInstalledIn,
  findPgBinaries,
  pgInstallDirs,
} from '../../../src/environments/local/pgBinaries.js';
import { LabError } from '../../../src/errors.js';
import { findFreePortRange, makeTempDataDir } from '../../support/localLab.js';

/**
 * A PostgreSQL install with the real server programs but its own extension dirs: a bin dir of symlinks
 * plus a pg_config that points sharedir and pkglibdir into this sandbox, where Citus may or may not be.
 */
function fakeInstall(): { root: string; binDir: string; sharedir: string; pkglibdir: string } {
  const real = findPgBinaries();
  const root = makeTempDataDir('citus-lab-fake-pg-');
  const binDir = path.join(root, 'bin');
  const sharedir = path.join(root, 'share');
  const pkglibdir = path.join(root, 'lib');
  for (const dir of [binDir, path.join(sharedir, 'extension'), pkglibdir]) fs.mkdirSync(dir, { recursive: true });
  for (const program of ['initdb', 'pg_ctl', 'postgres']) {
    fs.symlinkSync(path.join(real.binDir, program), path.join(binDir, program));
  }
  const pgConfig = `#!/bin/sh
for arg in "$@"; do
  case "$arg" in
    --bindir) echo '${binDir}' ;;
    --sharedir) echo '${sharedir}' ;;
    --pkglibdir) echo '${pkglibdir}' ;;
    --version) echo 'PostgreSQL 15.0' ;;
  esac
done
`;
  fs.writeFileSync(path.join(binDir, 'pg_config'), pgConfig, { mode: 0o755 });
  return { root, binDir, sharedir, pkglibdir };
}

describe('Citus detection', () => {
  let fake: ReturnType<typeof fakeInstall>;
  beforeAll(() => {
    fake = fakeInstall();
  });
  afterAll(() => fs.rmSync(fake.root, { recursive: true, force: true }));

  it('reads the extension dirs from the pg_config next to the binaries', () => {
    expect(pgInstallDirs(fake.binDir)).toEqual({ sharedir: fake.sharedir, pkglibdir: fake.pkglibdir });
  });

  it('refuses preflight with CitusNotInstalled when Citus is absent, with the way out', async () => {
    expect(citusInstalled(fake.binDir)).toBe(false);
    const dataDir = makeTempDataDir();
    try {
      const spec = parseLabSpec({ env: 'local', workers: 1, dataDir, basePort: await findFreePortRange(2) });
      const err = await new LocalEnvironment(spec, { pgBinDir: fake.binDir }).preflight().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LabError);
      expect(err).toMatchObject({ type: 'CitusNotInstalled' });
      const message = (err as LabError).message;
      expect(message).toContain(path.join(fake.pkglibdir, 'citus.so'));
      expect(message).toContain('make install');
      expect(message).toContain('--env compose/minikube');
      // Without Citus preloading the same install is fine.
      await new LocalEnvironment(spec, { pgBinDir: fake.binDir, preloadCitus: false }).preflight();
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('needs both the control file and the shared library', () => {
    const control = path.join(fake.sharedir, 'extension', 'citus.control');
    const library = path.join(fake.pkglibdir, 'citus.so');
    fs.writeFileSync(control, '');
    expect(citusInstalledIn(fake)).toBe(false);
    fs.writeFileSync(library, '');
    expect(citusInstalledIn(fake)).toBe(true);
    expect(citusInstalled(fake.binDir)).toBe(true);
    fs.rmSync(control);
    expect(citusInstalledIn(fake)).toBe(false);
  });
});
