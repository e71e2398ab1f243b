/**
 * HaDrill's worker dies (SIGKILL) while the drill waits for the failed node to come back; the node comes
 * back while no worker watches it. The wait is retried on a new worker once its heartbeats stop
 * (drill-resume-v1), resumes from the lost attempt's checkpoint, and the drill passes with a truthful
 * result: the recovery time is the retry's first look, and the result says the real moment lies in the
 * span nobody watched. Temporal is the real dev server; the wait for recovery is the lab's real activity
 * against a local lab on plain PostgreSQL, the other activities are stand-ins.
 */
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { temporal } from '@temporalio/proto';

/** temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT (the proto package has no ESM named exports). */
const TIMEOUT_TYPE_HEARTBEAT = 4;
import { haDrill } from '../../../src/workflows/index.js';
import type { HaDrillInput } from '../../../src/workflows/drill/haDrillTypes.js';
import { LAB_CLUSTER, LAB_ENV } from '../../../src/temporal/searchAttributes.js';
import { drillActivitiesWithRealRecovery } from '../../support/drillRecoveryLab.js';
import { connectNode, startTempLab, type TempLab } from '../../support/localLab.js';
import { readLines, until } from '../../support/polling.js';
import { connectTemporal, createTestWorker, temporalAddress, uniqueTaskQueue, workflowBundle, type TestTemporal } from '../../support/temporal.js';

const crashWorker = fileURLToPath(new URL('../../fixtures/drillCrashWorker.ts', import.meta.url));
let t: TestTemporal;
let lab: TempLab;
let dir: string;
let child: ResultPromise | undefined;

beforeAll(async () => {
  t = await connectTemporal();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-drill-crash-'));
  lab = await startTempLab({ workers: 1, cluster: 'drill-lost' });
  // What the real wait queries: the node itself, then a count through the coordinator.
  const admin = await connectNode(lab);
  await admin.query(`CREATE DATABASE ${lab.spec.database}`).finally(() => admin.end());
  const db = await connectNode(lab, 'coordinator', lab.spec.database);
  await db.query('CREATE TABLE pacientes (documento_id bigint PRIMARY KEY)').finally(() => db.end());
}, 120_000);
afterAll(async () => {
  child?.kill('SIGKILL');
  await t?.close();
  await lab?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The JSON heartbeat details of the run's pending `awaitNodeRecovery`, if it has any. */
async function recoveryCheckpoint(handle: { describe(): Promise<{ raw: temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse }> }) {
  const pending = (await handle.describe()).raw.pendingActivities ?? [];
  const wait = pending.find((p) => p.activityType?.name === 'awaitNodeRecovery');
  const data = wait?.heartbeatDetails?.payloads?.[0]?.data;
  return { pending: pending.map((p) => p.activityType?.name), details: data?.length ? (JSON.parse(Buffer.from(data).toString('utf8')) as { kind?: string }) : undefined };
}

test('a drill whose worker died while it waited for the node resumes the wait on a new worker and says what nobody watched', async () => {
  const taskQueue = uniqueTaskQueue('drill-crash');
  const counter = path.join(dir, 'calls.log');
  const bundleFile = path.join(dir, 'workflows.js');
  fs.writeFileSync(bundleFile, (await workflowBundle()).code);
  // The "fault": worker-0 is down (no supervisor here, so it stays down until the test starts it).
  await lab.env.injectFault('worker-0');

  child = execa('node', ['--import', 'tsx', crashWorker, temporalAddress(), taskQueue, bundleFile, counter], { reject: false, stdio: 'inherit' });
  const cluster = lab.spec.cluster;
  const handle = await t.client.workflow.start(haDrill, {
    taskQueue,
    workflowId: `citus-lab-local-${cluster}-ha-drill-worker-0-${taskQueue}`,
    args: [{ spec: lab.spec, node: 'worker-0', settleSeconds: 1, recoveryTimeoutSeconds: 90 }] as [HaDrillInput],
    typedSearchAttributes: [
      { key: LAB_ENV, value: lab.spec.env },
      { key: LAB_CLUSTER, value: cluster },
    ],
  });

  // The first worker is inside the real wait, has checkpointed at least once, and the probes are done.
  await until(
    'the first worker to checkpoint its wait for worker-0',
    async () => {
      const { pending, details } = await recoveryCheckpoint(handle);
      return details?.kind === 'recovery' && !pending.includes('runProbes');
    },
    90_000,
    200,
  );
  const firstPid = child.pid;
  const killedAt = Date.now();
  child.kill('SIGKILL');
  await child;
  // The node comes back while no worker watches it.
  await lab.env.startNodes();
  const backAt = Date.now();

  const calls: string[] = [];
  const worker = await createTestWorker(t, taskQueue, drillActivitiesWithRealRecovery((a, d) => calls.push(d ? `${a}(${d})` : a)));
  const result = await worker.runUntil(handle.result());

  // Nothing the first worker had finished ran again; the wait was the one thing retried.
  expect(readLines(counter).every((l) => l.startsWith(`${firstPid} `))).toBe(true);
  expect(readLines(counter).map((l) => l.slice(l.indexOf(' ') + 1))).toEqual([
    'assertClusterIdle(ha-drill --node worker-0)',
    'checkDrillReady(worker-0)',
    'startNodes',
    'takeDrillBaseline(worker-0)',
    'runProbes(api)',
    'injectNodeFault(worker-0)',
    'awaitNodeRecovery(worker-0)',
  ]);
  expect(calls.filter((c) => c !== 'awaitNodeRecovery(worker-0)')).toEqual(['checkActiveWorkers', 'checkAfterDrill', 'writeReport(ha-drill:PASS)']);
  expect(calls.filter((c) => c === 'awaitNodeRecovery(worker-0)')).toHaveLength(1);

  expect(result.status).toBe('PASS');
  const recovery = result.recovery;
  expect(recovery).toBeDefined();
  // Truthful: the reported time is the retry's first look, and the real moment lies in the span nobody watched.
  const span = recovery?.unobserved?.acceptingAt;
  expect(span).toBeDefined();
  expect(span?.from).toBeLessThanOrEqual(killedAt);
  expect(span?.to).toBeGreaterThanOrEqual(backAt);
  expect(recovery?.acceptingAt).toBe(span?.to);
  expect(recovery?.unobserved?.distributedOkAt?.from).toBe(span?.from);
  expect(result.measurementGaps).toEqual([
    expect.stringMatching(/^the node began accepting connections between -?\d+ and \d+ ms after the fault \(nobody watched/),
    expect.stringMatching(/^the first multi-shard query could have succeeded between/),
  ]);
  expect(result.checks.find((c) => c.name === 'node back')?.message).toMatch(/nobody watched: the worker was lost/);

  // In the history: one scheduled wait, started again as attempt 2 after its heartbeats stopped.
  const events = (await handle.fetchHistory()).events ?? [];
  const waits = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitNodeRecovery');
  expect(waits).toHaveLength(1);
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(waits[0]?.eventId));
  expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);
  expect(started?.activityTaskStartedEventAttributes?.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(TIMEOUT_TYPE_HEARTBEAT);
}, 240_000);
