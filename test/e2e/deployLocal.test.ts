/**
 * End to end, as a user runs it: the real CLI in its own process, the real Temporal dev server, an
 * in-process worker, three PostgreSQL + Citus processes. deploy -> verify PASS with shards on every
 * worker -> a second deploy changes nothing -> bad input leaves the lab alone -> cleanup.
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

    const verify = await runCli(['verify', ...labArgs, '--patients', '200'], env());
    expect(verify.code).toBe(0);
    const report = lastJson(verify.stdout) as { status: string; shardsPerWorker: Record<string, number> };
    expect(report.status).toBe('PASS');
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
    };
    expect(result.registration.unchanged).toBe(true);
    expect(result.schema.created).toEqual([]);
    expect(result.load.skipped).toBe(true);
  }, 240_000);

  test('a deploy on ports another lab holds is refused and leaves the running lab untouched', async () => {
    const other = await runCli(['deploy', '--env', 'local', '--cluster', 'e2e-other', '--data-dir', dataDir, '--base-port', String(basePort), '--json'], env());
    expect(other.code).toBe(1);
    expect((lastJson(other.stdout).error as { type: string }).type).toBe('PortInUse');
    const status = await runCli(['status', ...labArgs], env());
    const nodes = (lastJson(status.stdout) as { nodes: Array<{ running: boolean }> }).nodes;
    expect(nodes).toHaveLength(3);
    expect(nodes.every((n) => n.running)).toBe(true);
  }, 240_000);
});
