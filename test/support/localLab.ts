/**
 * Throwaway local labs for tests: real PostgreSQL nodes under a mkdtemp dir on free loopback ports.
 *
 *   import { startTempLab, connectNode } from './localLab.js';
 *   import { citusInstalled } from '../../src/environments/local/pgBinaries.js';
 *
 *   let lab: TempLab;
 *   beforeAll(async () => { lab = await startTempLab({ workers: 2, preloadCitus: citusInstalled() }); });
 *   afterAll(() => lab?.cleanup());
 *   const client = await connectNode(lab, 'worker-0');   // pg.Client, already connected; end() it
 *
 * `makeTempLab` gives the same without provisioning or starting anything. `preloadCitus` defaults to
 * false so tests run on machines without Citus; pass `citusInstalled()` when the test needs Citus.
 * The data dir is chmod 0755 so the `postgres` OS user can traverse it when tests run as root.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { parseLabSpec, type LabSpec } from '../../src/config/labSpec.js';
import { LocalEnvironment } from '../../src/environments/local/localEnvironment.js';
import { findFreePortRange } from '../../src/environments/local/ports.js';

export interface TempLabOptions {
  workers?: number;
  preloadCitus?: boolean;
  cluster?: string;
  database?: string;
  pgBinDir?: string;
  /** Run the lab's node supervisor (restarts killed nodes); off by default so a killed node stays down. */
  supervise?: boolean;
  /** Streaming standbys per group (LabSpec.standbys) and synchronous commits (LabSpec.sync). */
  standbys?: number;
  sync?: boolean;
}

export interface TempLab {
  spec: LabSpec;
  env: LocalEnvironment;
  /** The mkdtemp dir (the spec's dataDir); removed by cleanup. */
  dataDir: string;
  /** Stops every node and removes the data dir; safe to call twice. */
  cleanup(): Promise<void>;
}

export { findFreePortRange };

export function makeTempDataDir(prefix = 'citus-lab-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

export async function makeTempLab(options: TempLabOptions = {}): Promise<TempLab> {
  const workers = options.workers ?? 1;
  const dataDir = makeTempDataDir();
  // Room for a few extra workers, so tests that grow the lab keep free ports.
  const basePort = await findFreePortRange(workers + 4);
  const spec = parseLabSpec({
    env: 'local',
    cluster: options.cluster ?? 'lab',
    workers,
    basePort,
    dataDir,
    ...(options.database ? { database: options.database } : {}),
    ...(options.standbys !== undefined ? { standbys: options.standbys } : {}),
    ...(options.sync !== undefined ? { sync: options.sync } : {}),
  });
  const env = new LocalEnvironment(spec, {
    preloadCitus: options.preloadCitus ?? false,
    pgBinDir: options.pgBinDir,
    supervise: options.supervise ?? false,
  });
  return {
    spec,
    env,
    dataDir,
    async cleanup() {
      try {
        await env.teardown({ removeData: true });
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** A lab that passed preflight, is provisioned and has every node running. */
export async function startTempLab(options: TempLabOptions = {}): Promise<TempLab> {
  const lab = await makeTempLab(options);
  try {
    await lab.env.preflight();
    await lab.env.provision();
    await lab.env.startNodes();
  } catch (err) {
    await lab.cleanup();
    throw err;
  }
  return lab;
}

/** A connected pg client to one node (default: the coordinator) as the lab's superuser. */
export async function connectNode(lab: TempLab, nodeName = 'coordinator', database = 'postgres'): Promise<pg.Client> {
  const node = lab.env.nodes().find((n) => n.name === nodeName);
  if (!node) throw new Error(`no node ${nodeName} in this lab`);
  const { user, password } = await lab.env.credentials();
  const client = new pg.Client({ host: node.host, port: node.port, user, password, database });
  await client.connect();
  return client;
}
