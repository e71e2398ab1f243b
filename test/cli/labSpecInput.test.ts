/**
 * A local lab keeps the ports it was created with: commands that name no --base-port use its recorded
 * ones (status used to ask the default ports and report a running lab as unreachable), and a
 * different --base-port is refused with one sentence.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { LabSpec } from '../../src/config/labSpec.js';
import { withRecordedPorts } from '../../src/cli/labSpecInput.js';
import { temporalAddress } from '../support/temporal.js';
import { runCli } from './runCli.js';

let dataDir: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-ports-'));
  fs.mkdirSync(path.join(dataDir, 'lab'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'lab', 'lab.json'), `${JSON.stringify({ env: 'local', cluster: 'lab', basePort: 23900, workers: 2 })}\n`);
  fs.mkdirSync(path.join(dataDir, 'api'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'api', 'lab.json'), `${JSON.stringify({ basePort: 23910, apiPort: 23990 })}\n`);
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test('without --base-port, a lab that exists is asked on the ports it was created with', () => {
  const spec = withRecordedPorts({ env: 'local', cluster: 'lab', dataDir });
  expect(spec.basePort).toBe(23900);
  expect(spec.apiPort).toBeUndefined(); // derived from the base port, as when it was created
  expect(withRecordedPorts({ env: 'local', cluster: 'api', dataDir })).toMatchObject({ basePort: 23910, apiPort: 23990 });
  // An explicit --api-port wins over the recorded one.
  expect(withRecordedPorts({ env: 'local', cluster: 'api', dataDir, apiPort: 23995 }).apiPort).toBe(23995);
});

test('the same --base-port is fine; a different one is refused, naming the recorded one', () => {
  expect(withRecordedPorts({ env: 'local', cluster: 'lab', dataDir, basePort: 23900 }).basePort).toBe(23900);
  expect(() => withRecordedPorts({ env: 'local', cluster: 'lab', dataDir, basePort: 15432 })).toThrow(
    /Lab "lab" already exists in .* with base port 23900, not 15432: run with --base-port 23900/,
  );
});

test('a lab never created (no lab.json), or one that is not local, keeps the given or default ports', () => {
  expect(withRecordedPorts({ env: 'local', cluster: 'other', dataDir }).basePort).toBe(15432);
  expect(withRecordedPorts({ env: 'local', cluster: 'other', dataDir, basePort: 24000 }).basePort).toBe(24000);
  expect(withRecordedPorts({ env: 'compose', cluster: 'lab', dataDir }).basePort).toBe(15432);
});

test('status without --base-port starts its run with the lab\'s recorded ports; a different --base-port is refused (exit 2)', async () => {
  const run = await runCli(['status', '--no-follow', '--json', '--data-dir', dataDir, '--cluster', 'lab'], { TEMPORAL_ADDRESS: temporalAddress() });
  expect(run.code).toBe(0);
  const { workflowId, runId } = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { workflowId: string; runId: string };
  const connection = await Connection.connect({ address: temporalAddress() });
  try {
    const handle = new Client({ connection }).workflow.getHandle(workflowId, runId);
    const { events } = await handle.fetchHistory();
    const payload = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    const input = JSON.parse(Buffer.from(payload ?? []).toString('utf8')) as { spec: LabSpec };
    expect(input.spec.basePort).toBe(23900);
    await handle.terminate('test: no worker runs it');
  } finally {
    await connection.close();
  }

  const refused = await runCli(['status', '--no-follow', '--data-dir', dataDir, '--cluster', 'lab', '--base-port', '15432'], { TEMPORAL_ADDRESS: '127.0.0.1:9' });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('already exists in');
  expect(refused.stderr).toContain('with base port 23900, not 15432');
}, 120_000);
