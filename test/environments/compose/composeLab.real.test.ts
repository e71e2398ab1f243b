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
import {
  deployAndExpectRunning,
  drainExpectEmptied,
  drillExpectPass,
  labCli,
  REAL_CLI_TIMEOUT_MS,
  REAL_TEST_TIMEOUT_MS,
  redeployExpectUnchanged,
  testCompleteExpectPass,
} from '../../support/realLabSteps.js';
import { temporalAddress } from '../../support/temporal.js';

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
  const cli = labCli({ labArgs: () => labArgs, env });
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
    await runCli(['cleanup', ...labArgs, '--volumes'], env(), undefined, REAL_CLI_TIMEOUT_MS);
    for (const id of projectObjects('ps')) dockerOut(['rm', '--force', '--volumes', id]);
    for (const id of projectObjects('volume')) dockerOut(['volume', 'rm', '--force', id]);
    for (const id of projectObjects('network')) dockerOut(['network', 'rm', id]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, REAL_TEST_TIMEOUT_MS);

  test('deploy ends PASS; status shows every node running', async () => {
    await deployAndExpectRunning(cli, 'compose (containers created, cold volumes)');
    expect(fs.statSync(path.join(dir, 'compose.env')).mode & 0o777).toBe(0o600);
  }, REAL_TEST_TIMEOUT_MS);

  test('a second deploy finds everything in place and changes nothing (no container recreated or restarted)', async () => {
    const containers = () =>
      projectObjects('ps')
        .map((id) => dockerOut(['inspect', '--format', '{{.Name}} {{.Id}} {{.State.StartedAt}} {{.RestartCount}}', id]))
        .sort();
    const before = containers();
    expect(before).toHaveLength(3);
    await redeployExpectUnchanged(cli);
    expect(containers()).toEqual(before);
  }, REAL_TEST_TIMEOUT_MS);

  test('ha-drill: a real crash of worker-0, restarted by Docker, ends PASS with no lost write', async () => {
    const container = `${project}-worker-0-1`;
    const restartsBefore = Number(dockerOut(['inspect', '--format', '{{.RestartCount}}', container]));
    await drillExpectPass(cli, 'worker-0', 'compose');
    // Docker itself brought it back: its restart policy counted one more restart (a manual stop would not).
    expect(Number(dockerOut(['inspect', '--format', '{{.RestartCount}}', container]))).toBe(restartsBefore + 1);
  }, REAL_TEST_TIMEOUT_MS);

  test('test complete ends PASS', () => testCompleteExpectPass(cli), REAL_TEST_TIMEOUT_MS);

  test('drain moves every shard off worker-1 with the data proven unchanged', () => drainExpectEmptied(cli, 'worker-1'), REAL_TEST_TIMEOUT_MS);

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
  }, REAL_TEST_TIMEOUT_MS);
});
