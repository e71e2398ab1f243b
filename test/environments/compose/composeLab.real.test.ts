/**
 * The compose environment for real: the CLI in its own process, the real Temporal dev server, and a
 * coordinator + 2 workers in Docker containers from the stand-in image for citusdata/citus:12.1 (built by
 * scripts/container-test-tools.sh; skipped with one line where it cannot be). deploy PASS -> status ->
 * an unchanged re-deploy -> an HA drill whose fault is a real crash that Docker's restart policy repairs
 * -> `test complete` -> drain -> cleanup, then cleanup --volumes. Own project name, env file and ports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFreePortRange } from '../../../src/environments/local/ports.js';
import { runCli } from '../../cli/runCli.js';
import { describeIfContainers, dockerOut } from '../../support/containers.js';
import { temporalAddress } from '../../support/temporal.js';

/** The CLI's result: its last JSON line ({} when there is none, e.g. when it was killed: code and stderr say why). */
const lastJson = (stdout: string): Record<string, unknown> => {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as Record<string, unknown>) : {};
};
/** One CLI run may take minutes on 2 busy cores (a drain took 188 s at load 27); each test allows a bit more. */
const CLI_TIMEOUT_MS = 540_000;
const TEST_TIMEOUT_MS = 600_000;
const NODES = ['coordinator', 'worker-0', 'worker-1'];

describeIfContainers('--env compose in real containers', (image) => {
  const project = `citus-lab-realtest-${process.pid}`;
  let dir: string;
  let labArgs: string[];
  const env = () => ({
    TEMPORAL_ADDRESS: temporalAddress(),
    CITUS_LAB_COMPOSE_IMAGE: image(),
    CITUS_LAB_COMPOSE_PROJECT: project,
    CITUS_LAB_COMPOSE_ENV_FILE: path.join(dir, 'compose.env'),
  });
  const cli = async (args: string[]) => {
    const run = await runCli([...args, ...labArgs], env(), undefined, CLI_TIMEOUT_MS);
    const result = lastJson(run.stdout);
    if (run.code !== 0) process.stderr.write(`${args.join(' ')} exited ${run.code}:\n${run.stderr.slice(-3000)}\n`);
    return { ...run, result };
  };
  const projectObjects = (kind: 'ps' | 'volume' | 'network') => {
    const filter = `label=com.docker.compose.project=${project}`;
    const args = kind === 'ps' ? ['ps', '--all', '--filter', filter, '-q'] : [kind, 'ls', '--filter', filter, '-q'];
    return dockerOut(args).split('\n').filter(Boolean);
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-compose-real-'));
    const basePort = await findFreePortRange(3);
    labArgs = ['--env', 'compose', '--cluster', 'realtest', '--data-dir', dir, '--base-port', String(basePort), '--json'];
  });
  afterAll(async () => {
    // Whatever happened above: no container, volume or network of this project stays behind.
    await runCli(['cleanup', ...labArgs, '--volumes'], env(), undefined, CLI_TIMEOUT_MS);
    for (const id of projectObjects('ps')) dockerOut(['rm', '--force', '--volumes', id]);
    for (const id of projectObjects('volume')) dockerOut(['volume', 'rm', '--force', id]);
    for (const id of projectObjects('network')) dockerOut(['network', 'rm', id]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, TEST_TIMEOUT_MS);

  test('deploy ends PASS; status shows every node running', async () => {
    const started = Date.now();
    const deploy = await cli(['deploy', '--patients', '200']);
    expect(deploy.code).toBe(0);
    expect(deploy.result.status).toBe('PASS');
    process.stderr.write(`compose deploy (containers created, cold volumes): ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    expect(fs.statSync(path.join(dir, 'compose.env')).mode & 0o777).toBe(0o600);

    const status = await cli(['status']);
    expect(status.code).toBe(0);
    const nodes = (status.result as { nodes: Array<{ name: string; running: boolean }> }).nodes;
    expect(nodes.map((n) => [n.name, n.running])).toEqual(NODES.map((n) => [n, true]));
  }, TEST_TIMEOUT_MS);

  test('a second deploy finds everything in place and changes nothing (no container recreated or restarted)', async () => {
    const containers = () =>
      projectObjects('ps')
        .map((id) => dockerOut(['inspect', '--format', '{{.Name}} {{.Id}} {{.State.StartedAt}} {{.RestartCount}}', id]))
        .sort();
    const before = containers();
    expect(before).toHaveLength(3);
    const again = await cli(['deploy', '--patients', '200']);
    expect(again.code).toBe(0);
    expect(again.result.status).toBe('PASS');
    expect(containers()).toEqual(before);
    const result = again.result as { registration: { unchanged: boolean }; schema: { created: string[] }; load: { skipped: boolean } };
    expect(result.registration.unchanged).toBe(true);
    expect(result.schema.created).toEqual([]);
    expect(result.load.skipped).toBe(true);
  }, TEST_TIMEOUT_MS);

  test('ha-drill: a real crash of worker-0, restarted by Docker, ends PASS with no lost write', async () => {
    const container = `${project}-worker-0-1`;
    const restartsBefore = Number(dockerOut(['inspect', '--format', '{{.RestartCount}}', container]));
    const drill = await cli(['ha-drill', '--node', 'worker-0']);
    expect(drill.code).toBe(0);
    const result = drill.result as {
      status: string;
      metrics: { detectMs?: number; nodeAcceptingMs?: number; firstDistributedQueryMs?: number; recoveryMs?: number };
      after?: { writes: { committed: number; lost: number } };
    };
    expect(result.status).toBe('PASS');
    expect(result.after?.writes.committed).toBeGreaterThan(0);
    expect(result.after?.writes.lost).toBe(0);
    // Docker itself brought it back: its restart policy counted one more restart (a manual stop would not).
    expect(Number(dockerOut(['inspect', '--format', '{{.RestartCount}}', container]))).toBe(restartsBefore + 1);
    process.stderr.write(`compose ha-drill metrics: ${JSON.stringify(result.metrics)}\n`);
  }, TEST_TIMEOUT_MS);

  test('test complete ends PASS', async () => {
    const suite = await cli(['test', 'complete']);
    expect(suite.code).toBe(0);
    expect(suite.result.status).toBe('PASS');
  }, TEST_TIMEOUT_MS);

  test('drain moves every shard off worker-1 with the data proven unchanged', async () => {
    const drain = await cli(['drain', '--node', 'worker-1']);
    expect(drain.code).toBe(0);
    const result = drain.result as { status: string; proof?: { ok: boolean; placementsAfter: Record<string, number> } };
    expect(result.status).toBe('PASS');
    expect(result.proof?.ok).toBe(true);
    const onWorker1 = Object.entries(result.proof?.placementsAfter ?? {}).filter(([node]) => node.startsWith('worker-1'));
    expect(onWorker1.every(([, n]) => n === 0)).toBe(true);
  }, TEST_TIMEOUT_MS);

  test('cleanup removes the containers and keeps the volumes; cleanup --volumes removes them too', async () => {
    expect(projectObjects('ps')).toHaveLength(3);
    const keep = await cli(['cleanup']);
    expect(keep.code).toBe(0);
    expect(projectObjects('ps')).toEqual([]);
    expect(projectObjects('volume')).toHaveLength(3);

    const all = await cli(['cleanup', '--volumes']);
    expect(all.code).toBe(0);
    expect(projectObjects('volume')).toEqual([]);
    expect(projectObjects('network')).toEqual([]);
  }, TEST_TIMEOUT_MS);
});
