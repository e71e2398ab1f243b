/**
 * End to end, as a user runs it: the real CLI in its own process, the real Temporal dev server, an
 * in-process worker, three PostgreSQL + Citus processes. deploy -> verify PASS with shards on every
 * worker, and the lab's FHIR API up and checked -> a second deploy changes nothing -> bad input leaves
 * the lab alone -> cleanup stops the API with the nodes.
 */
import fs from 'node:fs';
import { describeIfCitus } from '../support/citus.js';
import { findFreePortRange, makeTempDataDir } from '../support/localLab.js';
import { temporalAddress } from '../support/temporal.js';
import { runCli } from '../cli/runCli.js';

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;

describeIfCitus('deploy --env local with real Citus', () => {
  let dataDir: string;
  let basePort: number;
  let labArgs: string[];
  const env = () => ({ TEMPORAL_ADDRESS: temporalAddress() });

  beforeAll(async () => {
    dataDir = makeTempDataDir('citus-lab-e2e-');
    basePort = await findFreePortRange(3);
    labArgs = ['--env', 'local', '--cluster', 'e2e', '--data-dir', dataDir, '--base-port', String(basePort), '--json'];
  });
  afterAll(async () => {
    await runCli(['cleanup', ...labArgs, '--volumes'], env());
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('deploy ends PASS with its reports on disk, and verify finds shards on every worker', async () => {
    const deploy = await runCli(['deploy', ...labArgs, '--patients', '200'], env());
    expect(deploy.stderr).toMatch(/Web UI: http/);
    expect(deploy.code).toBe(0);
    const result = lastJson(deploy.stdout);
    expect(result.status).toBe('PASS');
    const reports = result.reports as { json: string; markdown: string };
    expect(fs.existsSync(reports.json) && fs.existsSync(reports.markdown)).toBe(true);
    const api = result.api as { url: string; started: boolean };
    expect(api).toMatchObject({ url: `http://127.0.0.1:${basePort + 100}`, started: true });
    // The lab's API wants a token: without one 401, with `api token`'s a loaded patient reads back.
    expect((await fetch(`${api.url}/Patient/1000000001`)).status).toBe(401);
    const token = await runCli(['api', 'token', '--user', 'practitioner', ...labArgs.filter((a) => a !== '--json')], env());
    expect(token.code).toBe(0);
    const patient = await fetch(`${api.url}/Patient/1000000001`, { headers: { authorization: `Bearer ${token.stdout.trim()}` } });
    expect(patient.status).toBe(200);
    expect(((await patient.json()) as { id: string }).id).toBe('1000000001');

    const verify = await runCli(['verify', ...labArgs, '--patients', '200'], env());
    expect(verify.code).toBe(0);
    const report = lastJson(verify.stdout) as { status: string; shardsPerWorker: Record<string, number>; checks: Array<{ name: string; status: string }> };
    expect(report.status).toBe('PASS');
    expect(report.checks.filter((c) => c.name.startsWith('api ')).map((c) => [c.name, c.status])).toEqual([
      ['api metadata', 'PASS'],
      ['api read patient', 'PASS'],
      ['api search routed to one shard', 'PASS'],
    ]);
    expect(Object.keys(report.shardsPerWorker).sort()).toEqual([`127.0.0.1:${basePort + 1}`, `127.0.0.1:${basePort + 2}`]);
    for (const shards of Object.values(report.shardsPerWorker)) expect(shards).toBeGreaterThan(0);
  }, 240_000);

  test('a second deploy finds everything in place and changes nothing', async () => {
    const again = await runCli(['deploy', ...labArgs, '--patients', '200'], env());
    expect(again.code).toBe(0);
    const result = lastJson(again.stdout) as {
      registration: { unchanged: boolean };
      schema: { created: string[] };
      load: { skipped: boolean };
      api: { started: boolean };
    };
    expect(result.registration.unchanged).toBe(true);
    expect(result.api.started).toBe(false);
    expect(result.schema.created).toEqual([]);
    expect(result.load.skipped).toBe(true);
  }, 240_000);

  test('a deploy on ports another lab holds is refused and leaves the running lab untouched', async () => {
    const other = await runCli(['deploy', '--env', 'local', '--cluster', 'e2e-other', '--data-dir', dataDir, '--base-port', String(basePort), '--json'], env());
    expect(other.code).toBe(1);
    expect((lastJson(other.stdout).error as { type: string }).type).toBe('PortInUse');
    const status = await runCli(['status', ...labArgs], env());
    const { nodes, api } = lastJson(status.stdout) as { nodes: Array<{ running: boolean }>; api: { url: string; running: boolean; ready: boolean } };
    expect(nodes).toHaveLength(3);
    expect(nodes.every((n) => n.running)).toBe(true);
    expect(api).toMatchObject({ url: `http://127.0.0.1:${basePort + 100}`, running: true, ready: true });
  }, 240_000);

  test('cleanup stops the API with the nodes', async () => {
    const cleanup = await runCli(['cleanup', ...labArgs], env());
    expect(cleanup.code).toBe(0);
    const health = await fetch(`http://127.0.0.1:${basePort + 100}/health`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(health).toBe('refused');
  }, 240_000);
});
