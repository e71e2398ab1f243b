/**
 * What Temporal costs per step: the median activity round-trip on the dev server, and how long a run
 * takes to resume after its worker was SIGKILLed and a new one started (the crash-resume path).
 * The round trip is timed on a worker that has run one workflow already: a new worker's first
 * workflow task creates the workflow sandbox (0.1-0.7 s on 2 busy cores), which divided into 50
 * round trips added 3-14 ms to each. That first workflow is its own figure.
 * Both use the lab worker's own tuning (src/temporal/labWorker.ts) and the embedded server's settings
 * (src/temporal/devServerTuning.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { execa } from 'execa';
import { freePort, startDevServer } from '../../src/temporal/devServer.js';
import { LAB_WORKER_TUNING } from '../../src/temporal/labWorker.js';
import { benchActivities } from '../fixtures/activities.js';
import { activityRoundTrips, goSignal, resumeAfterSignal } from '../fixtures/workflows.js';
import { spread, type BenchSection } from '../types.js';

const ROUND_TRIPS = 50;

async function until(predicate: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const workflowOverheadSection: BenchSection = {
  name: 'workflow overhead',
  async run(ctx) {
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      // installed already
    }
    const server = await startDevServer({
      address: `127.0.0.1:${await freePort()}`,
      logFile: path.join(ctx.workDir, 'overhead-temporal.log'),
      // A history file, as the embedded default keeps one: SQLite's commit cost is part of every step.
      dbFile: path.join(ctx.workDir, 'overhead-temporal', 'temporal.db'),
      headless: true,
    });
    const connection = await Connection.connect({ address: server.address });
    const native = await NativeConnection.connect({ address: server.address });
    try {
      const client = new Client({ connection });
      const bundle = await bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('../fixtures/workflows.ts', import.meta.url)),
        logger: new DefaultLogger('ERROR'),
      });
      const newWorker = (taskQueue: string) =>
        Worker.create({ connection: native, taskQueue, workflowBundle: bundle, activities: benchActivities, ...LAB_WORKER_TUNING });

      const perActivity: number[] = [];
      const firstWorkflow: number[] = [];
      for (let i = 0; i < ctx.runs; i++) {
        const taskQueue = `overhead-${i}`;
        const worker = await newWorker(taskQueue);
        await worker.runUntil(async () => {
          let started = performance.now();
          await client.workflow.execute(activityRoundTrips, { taskQueue, workflowId: `${taskQueue}-first`, args: [1] });
          firstWorkflow.push(performance.now() - started);
          started = performance.now();
          await client.workflow.execute(activityRoundTrips, { taskQueue, workflowId: taskQueue, args: [ROUND_TRIPS] });
          perActivity.push((performance.now() - started) / ROUND_TRIPS);
        });
        ctx.log(`activity round-trip run ${i + 1}/${ctx.runs}: ${perActivity[i]!.toFixed(1)} ms (the worker's first workflow: ${firstWorkflow[i]!.toFixed(0)} ms)`);
      }

      const bundleFile = path.join(ctx.workDir, 'bench-workflows.js');
      fs.writeFileSync(bundleFile, bundle.code);
      const workerScript = fileURLToPath(new URL('../fixtures/worker.ts', import.meta.url));
      const resume: number[] = [];
      for (let i = 0; i < ctx.runs; i++) {
        const taskQueue = `resume-${i}`;
        const child = execa('node', ['--import', 'tsx', workerScript, server.address, taskQueue, bundleFile], { reject: false });
        const handle = await client.workflow.start(resumeAfterSignal, { taskQueue, workflowId: taskQueue });
        await until(async () => {
          const { events } = await handle.fetchHistory();
          return (events ?? []).some((e) => e.activityTaskCompletedEventAttributes);
        });
        child.kill('SIGKILL');
        await child;
        // From here: a new worker process would start; we time its start, the signal and the finish.
        const started = performance.now();
        const worker = await newWorker(taskQueue);
        await worker.runUntil(async () => {
          await handle.signal(goSignal);
          await handle.result();
        });
        resume.push((performance.now() - started) / 1000);
        ctx.log(`resume run ${i + 1}/${ctx.runs}: ${resume[i]!.toFixed(2)} s`);
      }
      return [
        {
          name: 'workflow overhead: activity round-trip (dev server)',
          unit: 'ms',
          ours: spread(perActivity),
          target: '<= 15 ms',
          note: `embedded dev server settings (src/temporal/devServerTuning.ts), SQLite history file; ${ROUND_TRIPS} round trips on a worker that ran one workflow before`,
        },
        {
          name: "workflow overhead: a new worker's first workflow (start, 1 round trip, result)",
          unit: 'ms',
          ours: spread(firstWorkflow),
          note: 'the first workflow task of a new worker creates its workflow sandbox; every CLI command starts a new worker',
        },
        {
          name: 'crash-resume: new worker start to resumed run finished',
          unit: 's',
          ours: spread(resume),
          note: `sticky queue timeout ${LAB_WORKER_TUNING.stickyQueueScheduleToStartTimeout} (SDK default 10s)`,
        },
      ];
    } finally {
      await native.close();
      await connection.close();
      await server.stop();
    }
  },
};
