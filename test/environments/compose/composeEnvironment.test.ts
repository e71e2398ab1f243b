/**
 * The compose environment against a fake `docker` (test/fixtures/bin/docker): the command lines it runs,
 * the env file it writes, and how each failure of Docker turns into a typed error, without an engine.
 * The same environment against a real engine: composeLab.real.test.ts; the compose file: composeFile.test.ts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseLabSpec, type LabSpec } from '../../../src/config/labSpec.js';
import { ComposeEnvironment } from '../../../src/environments/compose/composeEnvironment.js';
import { COMPOSE_DIR } from '../../../src/environments/compose/composeSettings.js';
import { findFreePortRange } from '../../../src/environments/local/ports.js';
import { useFakeTools, type FakeTools } from '../../fixtures/bin/fakeTools.js';

let tools: FakeTools;
let dir: string;
let spec: LabSpec;

beforeEach(async () => {
  tools = useFakeTools(['docker']);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-compose-'));
  spec = parseLabSpec({ env: 'compose', cluster: 'cmp', basePort: await findFreePortRange(3), dataDir: dir });
});
afterEach(() => {
  tools.restore();
  fs.rmSync(dir, { recursive: true, force: true });
});

const envFileOf = () => path.join(dir, 'compose.env');
const environment = (overrides: Partial<LabSpec> = {}) =>
  new ComposeEnvironment({ ...spec, ...overrides }, { envFile: envFileOf() });

test('runs a lab through preflight, provision, start, fault, status and teardown with the expected commands', async () => {
  const env = environment();
  await env.preflight();
  expect(fs.existsSync(envFileOf())).toBe(false); // preflight creates nothing

  expect(await env.provision()).toEqual({ created: ['coordinator', 'worker-0', 'worker-1'], existing: [] });
  const envFile = fs.readFileSync(envFileOf(), 'utf8');
  expect(envFile).toMatch(/^CITUS_LAB_POSTGRES_PASSWORD=[\w-]{32}$/m);
  expect(fs.statSync(envFileOf()).mode & 0o777).toBe(0o600);

  expect(await env.startNodes()).toEqual({ started: ['coordinator', 'worker-0', 'worker-1'], alreadyRunning: [] });
  expect(await env.startNodes()).toEqual({ started: [], alreadyRunning: ['coordinator', 'worker-0', 'worker-1'] });
  expect((await env.status()).every((n) => n.running)).toBe(true);

  // The fault is a crash of the container's main process from the host (the real one runs in
  // composeLab.real.test.ts); a pid that is not in the container's cgroup is never signalled.
  const bystander = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    tools.set({ FAKE_DOCKER_MAIN_PID: String(bystander.pid) });
    await expect(env.injectFault('worker-1')).rejects.toMatchObject({
      type: 'PlatformUnavailable',
      nonRetryable: true,
      message: expect.stringContaining('is not visible from this host'),
    });
    expect(bystander.exitCode).toBeNull();
    expect(bystander.signalCode).toBeNull();
  } finally {
    bystander.kill();
  }
  tools.set({ FAKE_DOCKER_MAIN_PID: '0' });
  await env.injectFault('worker-1'); // main process not running: nothing to do
  await expect(env.injectFault('worker-7')).rejects.toMatchObject({ type: 'UnknownNode' });

  await env.teardown({ removeData: false });
  await env.teardown({ removeData: true });

  const docker = tools.calls('docker');
  const prefix = ['compose', '--project-name', 'citus-lab-cmp', '--file', path.join(COMPOSE_DIR, 'docker-compose.yml')];
  const withEnvFile = [...prefix, '--env-file', envFileOf()];
  const vars = `[CITUS_LAB_COORDINATOR_PORT=${spec.basePort} CITUS_LAB_WORKER_0_PORT=${spec.basePort + 1} CITUS_LAB_WORKER_1_PORT=${spec.basePort + 2} CITUS_LAB_DATABASE=hce_distribuida CITUS_LAB_POSTGRES_PASSWORD=<set>]`;
  expect(docker).toEqual(
    expect.arrayContaining([
      ['--version'],
      [...prefix, 'ps', '--all', '--format', 'json', vars], // before the env file exists: a placeholder password
      [...withEnvFile, 'up', '--no-start', 'coordinator', 'worker-0', 'worker-1', vars],
      [...withEnvFile, 'up', '--detach', '--wait', '--wait-timeout', '180', 'coordinator', 'worker-0', 'worker-1', vars],
      ['inspect', '--format', '{{.State.Pid}} {{.Id}}', 'citus-lab-cmp-worker-1-1'],
      [...withEnvFile, 'down', '--remove-orphans', vars],
      [...withEnvFile, 'down', '--remove-orphans', '--volumes', vars],
    ]),
  );
  // `--volumes` only when data is to go; never `docker compose kill` (a manual stop for Docker).
  expect(docker.filter((c) => c.includes('down')).map((c) => c.includes('--volumes'))).toEqual([false, true]);
  expect(docker.filter((c) => c.includes('kill'))).toHaveLength(0);
});

test('the API does not run on compose yet: startApi and openApiEndpoint answer NotImplemented (deploy skips its API steps)', async () => {
  const env = environment();
  const url = `http://127.0.0.1:${spec.basePort + 100}`;
  await expect(env.startApi()).rejects.toMatchObject({ type: 'NotImplemented', message: expect.stringContaining('api serve --env compose') });
  await expect(env.openApiEndpoint()).rejects.toMatchObject({ type: 'NotImplemented' });
  expect(await env.apiState()).toMatchObject({ url, running: false });
  expect(tools.calls('docker').filter((c) => c.includes('api'))).toHaveLength(0);
});

test('nodes: the tool connects to published loopback ports, Citus uses the service names', () => {
  expect(environment().nodes()).toEqual([
    { name: 'coordinator', role: 'coordinator', host: '127.0.0.1', port: spec.basePort, clusterHost: 'coordinator', clusterPort: 5432 },
    { name: 'worker-0', role: 'worker', host: '127.0.0.1', port: spec.basePort + 1, clusterHost: 'worker-0', clusterPort: 5432 },
    { name: 'worker-1', role: 'worker', host: '127.0.0.1', port: spec.basePort + 2, clusterHost: 'worker-1', clusterPort: 5432 },
  ]);
});

test('keeps an existing env file and its password; credentials come from it', async () => {
  fs.writeFileSync(envFileOf(), '# mine\nexport CITUS_LAB_POSTGRES_PASSWORD="s3cret value"\n', { mode: 0o600 });
  const env = environment();
  await env.provision();
  expect(fs.readFileSync(envFileOf(), 'utf8')).toContain('s3cret value');
  expect(await env.credentials()).toEqual({ user: 'postgres', password: 's3cret value' });
});

test('an env file without a password is refused with the fix', async () => {
  fs.writeFileSync(envFileOf(), 'CITUS_LAB_POSTGRES_PASSWORD=\n');
  await expect(environment().preflight()).rejects.toMatchObject({
    type: 'ConfigInvalid',
    message: expect.stringContaining('sets no CITUS_LAB_POSTGRES_PASSWORD'),
  });
  await expect(environment().credentials()).rejects.toMatchObject({ type: 'ConfigInvalid' });
});

test('more workers than the compose file defines is a configuration error naming the fix', async () => {
  await expect(environment({ workers: 3 }).preflight()).rejects.toMatchObject({
    type: 'ConfigInvalid',
    nonRetryable: true,
    message: expect.stringContaining('has no service worker-2: it defines 2 workers, so use --workers 2'),
  });
});

test('a port held by another process stops preflight', async () => {
  const net = await import('node:net');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(spec.basePort + 1, '127.0.0.1', resolve));
  try {
    await expect(environment().preflight()).rejects.toMatchObject({ type: 'PortInUse', message: expect.stringContaining(`Port ${spec.basePort + 1} (for node worker-0)`) });
  } finally {
    server.close();
  }
});

test('an unhealthy service fails start with the services’ last log lines', async () => {
  const env = environment();
  await env.provision();
  tools.set({ FAKE_COMPOSE_UP_FAIL: 'unhealthy' });
  const err = await env.startNodes().catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'NodeNotReady', nonRetryable: false });
  expect((err as Error).message).toContain('container citus-lab-cmp-worker-1-1 is unhealthy');
  expect((err as Error).message).toContain('No space left on device');
  expect(tools.calls('docker').some((c) => c.includes('logs') && c.includes('--tail'))).toBe(true);
});

describe('without Docker', () => {
  test('no docker at all: preflight says to install it; teardown has nothing to do', async () => {
    tools.restore();
    tools = useFakeTools([]);
    await expect(environment().preflight()).rejects.toMatchObject({
      type: 'PlatformToolMissing',
      nonRetryable: true,
      message: expect.stringMatching(/^docker is not installed \(not found on PATH\): install Docker/),
    });
    await expect(environment().teardown({ removeData: true })).resolves.toBeUndefined();
  });

  test('no compose plugin: PlatformToolMissing; teardown has nothing to do', async () => {
    tools.set({ FAKE_DOCKER_COMPOSE: 'missing' });
    await expect(environment().preflight()).rejects.toMatchObject({
      type: 'PlatformToolMissing',
      message: expect.stringContaining('The docker compose plugin is not installed'),
    });
    await expect(environment().teardown({ removeData: false })).resolves.toBeUndefined();
  });

  test('engine not running: PlatformUnavailable, not retried, for every command that needs it', async () => {
    tools.set({ FAKE_DOCKER_ENGINE: 'down' });
    const engineDown = { type: 'PlatformUnavailable', nonRetryable: true, message: expect.stringContaining('start Docker') };
    await expect(environment().preflight()).rejects.toMatchObject(engineDown);
    await expect(environment().status()).rejects.toMatchObject(engineDown);
    await expect(environment().teardown({ removeData: true })).rejects.toMatchObject(engineDown);
  });
});

test('invalid compose settings are refused once, naming the variable', () => {
  process.env.CITUS_LAB_COMPOSE_WAIT_TIMEOUT = 'soon';
  try {
    expect(() => environment()).toThrow(/CITUS_LAB_COMPOSE_WAIT_TIMEOUT="soon"/);
  } finally {
    delete process.env.CITUS_LAB_COMPOSE_WAIT_TIMEOUT;
  }
});
