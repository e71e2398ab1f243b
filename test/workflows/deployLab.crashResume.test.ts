/**
 * A worker process dies (SIGKILL) in the middle of DeployLab; a new worker picks the same run up and
 * finishes it. Side effects of completed steps must have happened exactly once, which an external
 * counter file proves (and the run's history agrees).
 */
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployLab } from '../../src/workflows/index.js';
import { createFakeActivities } from '../support/fakeActivities.js';
import { testSpec } from '../support/fakeActivities.js';
import { readLines, until } from '../support/polling.js';
import { connectTemporal, createTestWorker, temporalAddress, uniqueTaskQueue, workflowBundle, type TestTemporal } from '../support/temporal.js';

const crashWorker = fileURLToPath(new URL('../fixtures/crashWorker.ts', import.meta.url));
let t: TestTemporal;
let dir: string;
let child: ResultPromise | undefined;

beforeAll(async () => {
  t = await connectTemporal();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-crash-'));
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});


test('a run whose worker was SIGKILLed after start-nodes resumes on a new worker; start-nodes ran once', async () => {
  const taskQueue = uniqueTaskQueue('crash');
  const counter = path.join(dir, 'calls.log');
  const bundleFile = path.join(dir, 'workflows.js');
  fs.writeFileSync(bundleFile, (await workflowBundle()).code);

  child = execa('node', ['--import', 'tsx', crashWorker, temporalAddress(), taskQueue, bundleFile, counter], {
    reject: false,
    stdio: 'inherit',
  });
  const workflowId = `deploy-crash-${taskQueue}`;
  const handle = await t.client.workflow.start(deployLab, { taskQueue, workflowId, args: [{ spec: testSpec() }] });

  // The child has completed start-nodes and is now inside wait-ready: kill it without warning.
  await until('the first worker to reach wait-ready', () => readLines(counter).some((l) => l.endsWith(' waitForNodes')));
  const firstPid = child.pid;
  child.kill('SIGKILL');
  await child;

  const calls: string[] = [];
  const worker = await createTestWorker(t, taskQueue, createFakeActivities((a, d) => calls.push(d ? `${a}(${d})` : a)));
  const result = await worker.runUntil(handle.result());

  expect(result.status).toBe('PASS');
  const before = readLines(counter).map((l) => l.split(' ')[1]);
  expect(readLines(counter).every((l) => l.startsWith(`${firstPid} `))).toBe(true);
  expect(before).toEqual(['assertClusterIdle(deploy)', 'preflight', 'provisionPlatform', 'startNodes', 'waitForNodes']);
  // The new worker did only what was left: no second provision or start.
  expect(calls).not.toContain('provisionPlatform');
  expect(calls).not.toContain('startNodes');
  expect(calls[0]).toBe('waitForNodes');

  const history = await handle.fetchHistory();
  const completedTypes = (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
  expect(completedTypes.filter((n) => n === 'startNodes')).toHaveLength(1);
}, 180_000);
