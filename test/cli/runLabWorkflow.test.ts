/**
 * Start / attach / follow / outcome against the real Temporal dev server from globalSetup, with a
 * small fixture workflow (progress query, timers, an activity) instead of the lab's workflows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { parseLabSpec, type LabSpec } from '../../src/config/labSpec.js';
import { InterruptedError } from '../../src/cli/errors.js';
import type { RunSettings } from '../../src/cli/options.js';
import { runLabWorkflow, type CliIO, type LabRunRequest, type RunDeps } from '../../src/cli/runLabWorkflow.js';
import { createLabWorker } from '../../src/temporal/labWorker.js';
import { labWorkflowId } from '../../src/workflows/inputs.js';
import { createFixtureActivities } from '../fixtures/cli/stepsActivities.js';
import type { StepsInput, stepsWorkflow } from '../fixtures/cli/stepsWorkflow.js';

const fixtureWorkflows = fileURLToPath(new URL('../fixtures/cli/stepsWorkflow.ts', import.meta.url));

class Sink {
  text = '';
  constructor(readonly isTTY = false, private readonly onWrite?: (text: string) => void) {}
  write(text: string): boolean {
    this.text += text;
    this.onWrite?.(text);
    return true;
  }
  lines(): string[] {
    return this.text.split('\n').filter((l) => l.length > 0);
  }
}

function io(stderr = new Sink(), signal?: AbortSignal): CliIO & { stdout: Sink; stderr: Sink } {
  return { stdout: new Sink(), stderr, env: { ...process.env }, signal };
}

function address(): string {
  const value = process.env.TEMPORAL_ADDRESS;
  if (!value) throw new Error('TEMPORAL_ADDRESS is not set: jest globalSetup starts the dev server');
  return value;
}

let dataDir: string;
let deps: RunDeps;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-cli-run-'));
  deps = {
    taskQueue: `cli-test-${randomUUID()}`,
    pollIntervalMs: 150,
    createWorker: (conn, namespace, taskQueue) =>
      createLabWorker({ connection: conn, namespace, taskQueue, workflowsPath: fixtureWorkflows, activities: createFixtureActivities() }),
  };
  connection = await Connection.connect({ address: address() });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A lab the CLI takes as deployed: its directory and marker file exist. */
function spec(): LabSpec {
  const labSpec = parseLabSpec({ cluster: `t${randomUUID().slice(0, 8)}`, dataDir });
  fs.mkdirSync(path.join(dataDir, labSpec.cluster));
  fs.writeFileSync(path.join(dataDir, labSpec.cluster, 'lab.json'), `${JSON.stringify(labSpec)}\n`);
  return labSpec;
}

function settings(overrides: Partial<RunSettings> = {}): RunSettings {
  return {
    json: true,
    follow: true,
    inProcessWorker: true,
    namespace: 'default',
    temporalAddress: { address: address(), from: 'TEMPORAL_ADDRESS' },
    ...overrides,
  };
}

function request(labSpec: LabSpec, input: Partial<StepsInput>, overrides: Partial<RunSettings> = {}): LabRunRequest<typeof stepsWorkflow> {
  return {
    operation: 'verify',
    spec: labSpec,
    workflowType: 'stepsWorkflow',
    args: [{ label: labSpec.cluster, ...input }],
    summarize: (r) => [`summary: ${r.label} ${r.status} ${r.echoed}`],
    settings: settings(overrides),
  };
}

function lastJson(sink: Sink): unknown {
  const last = sink.lines().at(-1);
  if (last === undefined) throw new Error('stdout is empty');
  return JSON.parse(last);
}

test('a second start of the same command attaches to the open run; --json prints the result as the last line', async () => {
  const labSpec = spec();
  const first = io();
  await expect(runLabWorkflow(request(labSpec, {}, { follow: false }), first, deps)).resolves.toBe(0);
  const started = lastJson(first.stdout) as { workflowId: string; runId: string; attached: boolean };
  expect(started).toMatchObject({ workflowId: labWorkflowId(labSpec, 'verify'), attached: false });
  expect(first.stderr.text).toContain(`Started workflow ${started.workflowId} (run ${started.runId})`);
  expect(first.stderr.text).toContain(`/namespaces/default/workflows/${started.workflowId}/${started.runId}/history`);

  // Nothing ran it yet (no worker with --no-follow): the second command finds it open and drives it.
  const second = io();
  await expect(runLabWorkflow(request(labSpec, {}), second, deps)).resolves.toBe(0);
  expect(second.stderr.text).toContain(`Attached to running workflow ${started.workflowId} (run ${started.runId})`);
  expect(second.stdout.lines()).toHaveLength(1);
  expect(lastJson(second.stdout)).toEqual({ status: 'PASS', label: labSpec.cluster, echoed: `echo:${labSpec.cluster}` });
  const transitions = second.stderr.lines().filter((l) => l.startsWith('step '));
  expect(transitions).toContain('step 1/3 prepare started');
  expect(transitions.some((l) => /^step 3\/3 call done in \d+\.\ds$/.test(l))).toBe(true);

  // Once closed, the same command starts a new run.
  const third = io();
  await expect(runLabWorkflow(request(labSpec, {}), third, deps)).resolves.toBe(0);
  expect(third.stderr.text).toMatch(/Started workflow \S+ \(run (\S+)\)/);
  expect(third.stderr.text).not.toContain(started.runId);
});

test('a completed run that reports FAIL exits 1 with its result', async () => {
  const out = io();
  await expect(runLabWorkflow(request(spec(), { reportFail: true }), out, deps)).resolves.toBe(1);
  expect(lastJson(out.stdout)).toMatchObject({ status: 'FAIL' });
});

test('a worker that fails to shut down after the run finished does not turn its PASS into a failure', async () => {
  // What the Temporal worker throws when its shutdown outlasts shutdownForceTime (seen at load 40).
  const slowToStop: RunDeps = {
    ...deps,
    createWorker: async (conn, namespace, taskQueue) => {
      const worker = await deps.createWorker!(conn, namespace, taskQueue);
      const runUntil = worker.runUntil.bind(worker);
      worker.runUntil = async <R>(fn: Promise<R> | (() => Promise<R>)): Promise<R> => {
        await runUntil(fn);
        const err = new Error('Timed out while waiting for worker to shutdown gracefully');
        err.name = 'GracefulShutdownPeriodExpiredError';
        throw err;
      };
      return worker;
    },
  };
  const labSpec = spec();
  const out = io();
  await expect(runLabWorkflow(request(labSpec, {}), out, slowToStop)).resolves.toBe(0);
  expect(lastJson(out.stdout)).toEqual({ status: 'PASS', label: labSpec.cluster, echoed: `echo:${labSpec.cluster}` });
});

test('a failed run prints the activity failure itself, not the wrappers', async () => {
  const out = io();
  await expect(runLabWorkflow(request(spec(), { failWith: 'the fixture broke on purpose' }), out, deps)).resolves.toBe(1);
  expect(lastJson(out.stdout)).toEqual({ error: { type: 'FixtureBroken', message: 'the fixture broke on purpose' } });
  expect(out.stderr.text).toMatch(/verify of lab "\w+" failed \(FixtureBroken\): the fixture broke on purpose\./);
  expect(out.stderr.text).toContain('step 3/3 call failed');
});

test('without --json: a human summary on stdout and a live progress line on a terminal', async () => {
  const tty = new Sink(true);
  const out = io(tty);
  const labSpec = spec();
  await expect(runLabWorkflow(request(labSpec, {}, { json: false }), out, deps)).resolves.toBe(0);
  expect(out.stdout.text).toBe(`summary: ${labSpec.cluster} PASS echo:${labSpec.cluster}\n`);
  expect(tty.text).toMatch(/\r\x1b\[2K\[1\/3\] prepare \(\d+\.\ds elapsed\)/);
  expect(tty.text).not.toContain('step 1/3');
});

test('Ctrl-C stops following but leaves the run open on the server', async () => {
  const interrupt = new AbortController();
  const stderr = new Sink(false, (text) => {
    if (text.startsWith('step 1/3 prepare started')) interrupt.abort();
  });
  const labSpec = spec();
  const out = io(stderr, interrupt.signal);
  const err = await runLabWorkflow(request(labSpec, {}), out, deps).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InterruptedError);
  expect((err as Error).message).toMatch(/keeps running on the Temporal server: run the same command again to attach/);
  const handle = client.workflow.getHandle(labWorkflowId(labSpec, 'verify'));
  expect((await handle.describe()).status.name).toBe('RUNNING');
  await handle.terminate('test cleanup');
});
