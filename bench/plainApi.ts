/**
 * The API benchmark's comparison point: a throwaway plain PostgreSQL (no Citus, one node serving)
 * with the lab's schema and the same sample data, and `citus-lab api serve` over it with an explicit
 * connection (`--pg-host`, password in PGPASSWORD), as a process of its own like the lab's API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { Client } from 'pg';
import { createPostgresActivities } from '../src/activities/postgres/index.js';
import { readSchemaSql } from '../src/activities/postgres/schema.js';
import { parseLabSpec, type LabSpec } from '../src/config/labSpec.js';
import { LocalEnvironment } from '../src/environments/local/localEnvironment.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

export interface PlainApi {
  url: string;
  spec: LabSpec;
  stop(): Promise<void>;
}

async function waitReady(url: string, server: ResultPromise, timeoutMs = 120_000): Promise<void> {
  let exited = false;
  void server.then(
    () => (exited = true),
    () => (exited = true),
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (exited || Date.now() > deadline) throw new Error(`the plain-PostgreSQL API at ${url} never got ready`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function startPlainApi(workDir: string, basePort: number, apiPort: number, patients: number): Promise<PlainApi> {
  const dataDir = path.join(workDir, 'plain');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const spec = parseLabSpec({ env: 'local', cluster: 'plain', dataDir, basePort, workers: 1, patients, apiPort });
  const env = new LocalEnvironment(spec, { preloadCitus: false });
  await env.provision();
  await env.startNodes();
  const coordinator = env.nodes()[0]!;
  const { user, password } = await env.credentials();
  const connect = async (database: string) => {
    const client = new Client({ host: coordinator.host, port: coordinator.port, user, password, database });
    await client.connect();
    return client;
  };
  const admin = await connect('postgres');
  await admin.query(`CREATE DATABASE ${spec.database}`).finally(() => admin.end());
  const db = await connect(spec.database);
  await db.query(readSchemaSql()).finally(() => db.end());
  await createPostgresActivities({ environmentFor: (s) => new LocalEnvironment(s, { preloadCitus: false }) }).loadSampleData(spec);

  const server = execa(
    process.execPath,
    ['--import', 'tsx', CLI, 'api', 'serve', '--data-dir', dataDir, '--cluster', 'plain', '--base-port', String(basePort), '--workers', '1',
      '--api-port', String(apiPort), '--pg-host', coordinator.host, '--pg-port', String(coordinator.port), '--pg-user', user],
    { env: { PGPASSWORD: password }, extendEnv: true, reject: false, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${apiPort}`;
  const stop = async () => {
    server.kill('SIGTERM');
    await server;
    await env.teardown({ removeData: true });
  };
  try {
    await waitReady(url, server);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, spec, stop };
}
