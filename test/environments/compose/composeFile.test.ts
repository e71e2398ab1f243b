/**
 * infra/compose/docker-compose.yml says what the compose environment relies on: the services are the lab's
 * node names, ports come from the variables the tool sets, every node has its own named volume, a
 * restart policy, a pg_isready health check and wal_level=logical, and the init files it mounts exist.
 * (test/infra/composeFiles.test.ts checks it against the Compose schema.) Where Debian's docker-compose
 * 1.29 is installed, `config` also resolves the file offline, as Compose itself would.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { COMPOSE_DIR } from '../../../src/environments/compose/composeSettings.js';

const FILE = path.join(COMPOSE_DIR, 'docker-compose.yml');
const NODES = ['coordinator', 'worker-0', 'worker-1'];

interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  depends_on?: Record<string, { condition?: string }>;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  restart?: string;
  healthcheck?: { test?: string[] };
}

const doc = parse(fs.readFileSync(FILE, 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };

test('defines exactly the lab nodes and its API, the nodes from citusdata/citus:12.1 (unless CITUS_LAB_COMPOSE_IMAGE), with logical WAL, health check and restart policy', () => {
  expect(Object.keys(doc.services)).toEqual([...NODES, 'api']);
  for (const name of NODES) {
    const s = doc.services[name] as Service;
    expect({ name, image: s.image, restart: s.restart }).toEqual({
      name,
      image: '${CITUS_LAB_COMPOSE_IMAGE:-citusdata/citus:12.1}',
      restart: 'unless-stopped',
    });
    expect(s.command?.join(' ')).toContain('-c wal_level=logical');
    expect(s.healthcheck?.test?.join(' ')).toMatch(/pg_isready/);
    expect(s.environment?.CITUS_LAB_ROLE).toBe(name === 'coordinator' ? 'coordinator' : 'worker');
  }
});

test('publishes each node on loopback only, on the port variable the tool sets from --base-port', () => {
  const variable = (name: string) => (name === 'coordinator' ? 'CITUS_LAB_COORDINATOR_PORT' : `CITUS_LAB_${name.replace('-', '_').toUpperCase()}_PORT`);
  for (const name of NODES) {
    expect(doc.services[name]?.ports).toEqual([expect.stringMatching(new RegExp(`^127\\.0\\.0\\.1:\\$\\{${variable(name)}:-\\d+\\}:5432$`))]);
  }
});

test('the API is built from infra/api/Dockerfile, serves the coordinator, on loopback, ready-checked and restarted', () => {
  const api = doc.services.api as Service;
  const dockerfile = path.resolve(COMPOSE_DIR, api.build?.context ?? '', api.build?.dockerfile ?? '');
  expect(dockerfile).toBe(path.resolve(COMPOSE_DIR, '../api/Dockerfile'));
  expect(fs.existsSync(dockerfile)).toBe(true);
  expect(api.command?.slice(0, 2)).toEqual(['api', 'serve']);
  expect(api.command).toEqual(expect.arrayContaining(['--pg-host=coordinator', '--api-port=8080']));
  // The password reaches it the way it reaches the nodes: from the env file, never written here.
  expect(api.environment?.PGPASSWORD).toMatch(/^\$\{CITUS_LAB_POSTGRES_PASSWORD:\?/);
  expect(api.ports).toEqual([expect.stringMatching(/^127\.0\.0\.1:\$\{CITUS_LAB_API_PORT:-15532\}:8080$/)]);
  expect(api.healthcheck?.test?.join(' ')).toContain('/ready');
  expect(api.restart).toBe('unless-stopped');
  expect(api.depends_on?.coordinator?.condition).toBe('service_healthy');
});

test('gives every node its own named volume and mounts init files that exist', () => {
  for (const name of NODES) {
    const volumes = doc.services[name]?.volumes ?? [];
    expect(volumes[0]).toBe(`${name}-data:/var/lib/postgresql/data`);
    expect(Object.keys(doc.volumes)).toContain(`${name}-data`);
    for (const bind of volumes.slice(1)) {
      const source = bind.split(':')[0] as string;
      expect({ bind, exists: fs.existsSync(path.resolve(COMPOSE_DIR, source)) }).toEqual({ bind, exists: true });
    }
  }
});

test('ships an .env.example with an empty password, and .env is git-ignored', async () => {
  expect(fs.readFileSync(path.join(COMPOSE_DIR, '.env.example'), 'utf8')).toMatch(/^CITUS_LAB_POSTGRES_PASSWORD=$/m);
  const ignored = await execa('git', ['check-ignore', '--quiet', path.join(COMPOSE_DIR, '.env')], { cwd: COMPOSE_DIR, reject: false });
  expect(ignored.exitCode).toBe(0);
});

const dockerCompose = fs.existsSync('/usr/bin/docker-compose') ? '/usr/bin/docker-compose' : undefined;
if (!dockerCompose) process.stderr.write('SKIP docker-compose config: Debian docker-compose 1.29 is not installed (apt-get install docker-compose)\n');
const withDockerCompose = dockerCompose ? test : test.skip;

withDockerCompose('docker-compose 1.29 resolves it with the tool’s variables, and refuses it without a password', async () => {
  const run = (env: Record<string, string>) =>
    execa(dockerCompose as string, ['--file', FILE, '--project-name', 'citus-lab-lab', 'config'], {
      env: { ...env, PATH: process.env.PATH ?? '' },
      extendEnv: false,
      reject: false,
    });
  const ok = await run({ CITUS_LAB_POSTGRES_PASSWORD: 'from-env-file', CITUS_LAB_COORDINATOR_PORT: '25432', CITUS_LAB_WORKER_1_PORT: '25434' });
  expect(ok.stderr).toBe('');
  const resolved = parse(ok.stdout) as { services: Record<string, Service> };
  expect(resolved.services.coordinator?.ports).toEqual(['127.0.0.1:25432:5432/tcp']);
  expect(resolved.services['worker-0']?.ports).toEqual(['127.0.0.1:15433:5432/tcp']);
  expect(resolved.services['worker-1']?.ports).toEqual(['127.0.0.1:25434:5432/tcp']);
  expect(resolved.services['worker-1']?.environment?.PGPASSWORD).toBe('from-env-file');

  const refused = await run({});
  expect(refused.exitCode).not.toBe(0);
  expect(refused.stderr).toContain('set CITUS_LAB_POSTGRES_PASSWORD in infra/compose/.env');
});
