import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseLabSpec } from '../../../src/config/labSpec.js';
import { LocalEnvironment } from '../../../src/environments/local/localEnvironment.js';
import { findPgBinaries } from '../../../src/environments/local/pgBinaries.js';
import { findFreePortRange, makeTempDataDir } from '../../support/localLab.js';
import { rejectionOf } from '../../support/rejection.js';

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
function tempDir(): string {
  const dir = makeTempDataDir('citus-lab-preflight-');
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) {
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function specIn(dataDir: string, workers = 1) {
  const basePort = await findFreePortRange(workers + 1);
  return parseLabSpec({ env: 'local', cluster: 'lab', workers, dataDir, basePort });
}

describe('LocalEnvironment.preflight', () => {
  it('passes on a fresh data dir and free ports, creating nothing', async () => {
    const dataDir = tempDir();
    await new LocalEnvironment(await specIn(dataDir, 2), { preloadCitus: false }).preflight();
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('refuses a port another process listens on, naming it and --base-port, and creates nothing', async () => {
    const dataDir = tempDir();
    const spec = await specIn(dataDir, 2);
    const takenPort = spec.basePort + 2; // worker-1
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(takenPort, '127.0.0.1', resolve));
    try {
      const err = await rejectionOf(new LocalEnvironment(spec, { preloadCitus: false }).preflight());
      expect(err.type).toBe('PortInUse');
      expect(err.message).toContain(`Port ${takenPort} (for node worker-1)`);
      expect(err.message).toContain('--base-port');
      // This jest worker holds the port; /proc tells us so.
      expect(err.message).toContain(`(pid ${process.pid})`);
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it.each(['preflight', 'provision'] as const)('%s refuses a data dir under /proc at once (a recursive mkdir there never returns)', async (step) => {
    const env = new LocalEnvironment(parseLabSpec({ env: 'local', cluster: 'lab', workers: 1, dataDir: '/proc/nope', basePort: 15432 }), { preloadCitus: false });
    const started = Date.now();
    const err = await rejectionOf(step === 'preflight' ? env.preflight() : env.provision());
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err.type).toBe('DataDirNotWritable');
    expect(err.message).toBe('The data dir /proc/nope cannot hold the lab (/proc is on /proc, a kernel pseudo file system): choose a writable directory with --data-dir.');
    expect(fs.existsSync('/proc/nope')).toBe(false);
  });

  it('refuses a data dir below a regular file', async () => {
    const parent = tempDir();
    fs.writeFileSync(path.join(parent, 'a-file'), '');
    const dataDir = path.join(parent, 'a-file', 'labs');
    const err = await rejectionOf(new LocalEnvironment(await specIn(dataDir), { preloadCitus: false }).preflight());
    expect(err.type).toBe('DataDirNotWritable');
    expect(err.message).toContain(dataDir);
    expect(err.message).toContain('--data-dir');
  });

  (isRoot ? it : it.skip)('as root, refuses a data dir the postgres OS user cannot traverse', async () => {
    const parent = tempDir();
    fs.chmodSync(parent, 0o700);
    const dataDir = path.join(parent, 'labs');
    const err = await rejectionOf(new LocalEnvironment(await specIn(dataDir), { preloadCitus: false }).preflight());
    expect(err.type).toBe('DataDirNotWritable');
    expect(err.message).toContain(`cannot enter ${parent}`);
    expect(err.message).toContain('--data-dir');
  });

  (isRoot ? it.skip : it)('as a normal user, refuses a read-only data dir', async () => {
    const dataDir = tempDir();
    fs.chmodSync(dataDir, 0o555);
    const err = await rejectionOf(new LocalEnvironment(await specIn(dataDir), { preloadCitus: false }).preflight());
    expect(err.type).toBe('DataDirNotWritable');
    expect(err.message).toContain('--data-dir');
  });
});

describe('PostgreSQL binaries', () => {
  it('finds initdb, pg_ctl and postgres on this machine', () => {
    const bins = findPgBinaries();
    for (const file of [bins.initdb, bins.pgCtl, bins.postgres]) expect(fs.existsSync(file)).toBe(true);
  });

  it('reports missing binaries for a bad pgBinDir', async () => {
    const emptyBin = tempDir();
    const env = new LocalEnvironment(await specIn(tempDir()), { preloadCitus: false, pgBinDir: emptyBin });
    const err = await rejectionOf(env.preflight());
    expect(err.type).toBe('PostgresBinariesMissing');
    expect(err.message).toContain(emptyBin);
    expect(err.message).toContain('npm run setup');
    expect(err.message).toContain('CITUS_LAB_PG_BIN');
  });

  it('reports missing binaries for a bad CITUS_LAB_PG_BIN', async () => {
    const saved = process.env.CITUS_LAB_PG_BIN;
    process.env.CITUS_LAB_PG_BIN = path.join(tempDir(), 'no-such-bin');
    try {
      const env = new LocalEnvironment(await specIn(tempDir()), { preloadCitus: false });
      const err = await rejectionOf(env.provision());
      expect(err.type).toBe('PostgresBinariesMissing');
      expect(err.message).toContain('no-such-bin');
    } finally {
      if (saved === undefined) delete process.env.CITUS_LAB_PG_BIN;
      else process.env.CITUS_LAB_PG_BIN = saved;
    }
  });
});
