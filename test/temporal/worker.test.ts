/**
 * The split set-up: `npm run worker` in one process, CLI runs with --no-worker in another, against
 * the real dev server; the worker shuts down cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, runCli } from '../cli/runCli.js';

let dataDir: string;
let worker: ChildProcess | undefined;
let workerLog = '';
const cluster = `w${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-worker-'));
  // A lab the CLI accepts as deployed (its marker file) whose nodes were never provisioned.
  fs.mkdirSync(path.join(dataDir, cluster));
  fs.writeFileSync(path.join(dataDir, cluster, 'lab.json'), '{"basePort": 15432}\n');
  const env: NodeJS.ProcessEnv = { ...process.env, CITUS_LAB_DATA_DIR: dataDir };
  delete env.NODE_OPTIONS;
  const script = fileURLToPath(new URL('../../src/worker.ts', import.meta.url));
  worker = spawn(process.execPath, ['--import', 'tsx', script, '--lab', `local/${cluster}`, '--lab', 'local/other'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stdout?.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  worker.stderr?.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!workerLog.includes(`Worker polling task queues citus-lab-local-${cluster}, citus-lab-local-other, citus-lab at`)) {
    if (worker.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not come up:\n${workerLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(() => {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('a CLI run with --no-worker is executed by the standalone worker serving that lab', async () => {
  const run = await runCli(['status', '--no-worker', '--json', '--cluster', cluster, '--data-dir', dataDir]);
  expect(run.stderr).toContain(`Started workflow citus-lab-local-${cluster}-status`);
  expect(run.code).toBe(0);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as { cluster: string; nodes: Array<{ name: string; running: boolean }> };
  expect(result.cluster).toBe(cluster);
  expect(result.nodes.map((n) => [n.name, n.running])).toEqual([
    ['coordinator', false],
    ['worker-0', false],
    ['worker-1', false],
  ]);
});

test('SIGTERM shuts the worker down gracefully', async () => {
  const child = worker;
  if (!child) throw new Error('no worker');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  await expect(exited).resolves.toBe(0);
  expect(workerLog).toMatch(/STOPPED/);
});
