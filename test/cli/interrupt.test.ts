/**
 * Ctrl-C on a real CLI process: it stops following with exit 130 and the run stays open on the
 * server. A fresh namespace guarantees no worker anywhere picks the run up, so the CLI also says so.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createNamespace } from '../temporal/namespaces.js';
import { cliEntry, startProcess } from './runCli.js';

let dataDir: string;
let namespace: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-interrupt-'));
  // The lab's marker file: commands other than deploy refuse a lab that was never deployed.
  fs.mkdirSync(path.join(dataDir, 'ctrlc'));
  fs.writeFileSync(path.join(dataDir, 'ctrlc', 'lab.json'), '{"basePort": 15432}\n');
  namespace = await createNamespace('cli-interrupt');
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test('Ctrl-C stops following (exit 130) and the workflow keeps running', async () => {
  const cli = startProcess(cliEntry, ['status', '--no-worker', '--namespace', namespace, '--cluster', 'ctrlc', '--data-dir', dataDir]);
  try {
    await cli.waitForStderr(/Started workflow citus-lab-local-ctrlc-status \(run \S+\)/);
    // No worker polls in this namespace: after a while the CLI says so instead of waiting silently.
    await cli.waitForStderr(/No worker polls task queue citus-lab-local-ctrlc: start one \(npm run worker\) or run without --no-worker\./, 30_000);
    process.kill(-(cli.child.pid ?? 0), 'SIGINT');
    await expect(cli.exited).resolves.toBe(130);
  } finally {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  }
  expect(cli.stderr()).toMatch(
    /citus-lab: Stopped following; workflow citus-lab-local-ctrlc-status keeps running on the Temporal server: run the same command again to attach, or watch http:\S+\./,
  );
  expect(cli.stdout()).toBe('');

  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '' });
  try {
    const handle = new Client({ connection, namespace }).workflow.getHandle('citus-lab-local-ctrlc-status');
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test cleanup');
  } finally {
    await connection.close();
  }
});
