/**
 * What every lab command does once its input is valid: make sure a Temporal server answers, run a
 * worker in this process (unless told not to), start or attach to the workflow, follow it, and end
 * with a summary (or one JSON object) and an exit code.
 */
import { Client, Connection } from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { LabSpec } from '../config/labSpec.js';
import { ensureTemporalServer, workflowUiUrl } from '../temporal/embedded.js';
import { ensureSearchAttributes } from '../temporal/ensureSearchAttributes.js';
import { LAB_CLUSTER, LAB_ENV } from '../temporal/searchAttributes.js';
import { labTaskQueue, labWorkflowId, type LabOperation } from '../workflows/inputs.js';
import { EXIT_FAILURE, EXIT_OK, InterruptedError, debugEnabled, describeError, exitCodeForSignal, formatErrorLine } from './errors.js';
import { followRun } from './follow.js';
import { assertLabPreconditions } from './labPreconditions.js';
import { assertRunOfLab, labMemo } from './sameLab.js';
import type { RunSettings } from './options.js';
import { createProgressRenderer, type TextSink } from './render.js';
import { startOrAttach } from './startOrAttach.js';

export interface CliIO {
  stdout: TextSink;
  stderr: TextSink & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C. */
  signal?: AbortSignal;
}

export interface LabRunRequest<W extends Workflow> {
  operation: LabOperation;
  spec: LabSpec;
  workflowType: string;
  args: Parameters<W>;
  summarize(result: WorkflowResultType<W>): string[];
  settings: RunSettings;
}

/** Seams for tests: a fixture worker and task queue instead of the lab's own (`labTaskQueue(spec)`). */
export interface RunDeps {
  taskQueue?: string;
  createWorker?(connection: NativeConnection, namespace: string, taskQueue: string): Promise<Worker>;
  pollIntervalMs?: number;
}

export async function runLabWorkflow<W extends Workflow>(request: LabRunRequest<W>, io: CliIO, deps: RunDeps = {}): Promise<number> {
  const { settings, spec } = request;
  const info = (line: string) => io.stderr.write(`${line}\n`);
  const taskQueue = deps.taskQueue ?? labTaskQueue(spec);

  // Before anything else: a data dir that cannot hold files, or a lab that does not exist, is one sentence.
  assertLabPreconditions(spec, request.operation);

  const temporal = await ensureTemporalServer({
    explicit: settings.temporalAddress,
    dataDir: spec.dataDir,
    namespace: settings.namespace,
    log: info,
    env: io.env,
  });
  const connection = await Connection.connect({ address: temporal.address });
  let nativeConnection: NativeConnection | undefined;
  try {
    const client = new Client({ connection, namespace: settings.namespace });
    const added = await ensureSearchAttributes(connection, settings.namespace);
    if (added.length > 0) info(`Added search attributes ${added.join(', ')} to namespace ${settings.namespace}.`);

    const start = async () => {
      const run = await startOrAttach<W>(client, {
        workflowType: request.workflowType,
        workflowId: labWorkflowId(spec, request.operation),
        taskQueue,
        args: request.args,
        searchAttributes: [
          { key: LAB_ENV, value: spec.env },
          { key: LAB_CLUSTER, value: spec.cluster },
        ],
        memo: labMemo(spec, request.operation),
        assertOwnRun: (open) => assertRunOfLab(client, open, spec),
      });
      const url = workflowUiUrl(settings.namespace, run.workflowId, run.runId, io.env);
      info(`${run.attached ? 'Attached to running' : 'Started'} workflow ${run.workflowId} (run ${run.runId})`);
      info(`Web UI: ${url}`);
      return { ...run, url };
    };

    if (!settings.follow) {
      const run = await start();
      info('Not following (--no-follow): a worker (`npm run worker`) runs it, or run the same command again to attach here.');
      if (settings.json) writeJson(io, { workflowId: run.workflowId, runId: run.runId, attached: run.attached, url: run.url });
      else io.stdout.write(`${run.workflowId} ${run.runId}\n`);
      return EXIT_OK;
    }

    const run = await start();
    const follow = async () => {
      const renderer = createProgressRenderer(io.stderr);
      try {
        return {
          run,
          outcome: await followRun(client, run.handle, {
            renderer,
            signal: io.signal,
            pollIntervalMs: deps.pollIntervalMs,
            finalQuery: settings.inProcessWorker,
            onSilence: {
              afterMs: 10_000,
              run: async () => {
                if (!(await hasWorkflowPollers(client, settings.namespace, run.taskQueue))) {
                  renderer.note(`No worker polls task queue ${run.taskQueue}: start one (npm run worker) or run without --no-worker.`);
                }
              },
            },
          }),
        };
      } catch (err) {
        if (err instanceof InterruptedError) {
          throw new InterruptedError(
            `Stopped following; workflow ${run.workflowId} keeps running on the Temporal server: run the same command again to attach, or watch ${run.url}`,
            exitCodeForSignal(io.signal),
          );
        }
        throw err;
      }
    };

    let followed: Awaited<ReturnType<typeof follow>>;
    if (settings.inProcessWorker) {
      const { connectWorker, installRuntime } = await import('../temporal/labWorker.js');
      // The CLI's own lines say what happens (activity failures included, once, unwrapped); Ctrl-C is
      // handled by the CLI (it stops following).
      installRuntime({ logLevel: debugEnabled(io.env) ? 'DEBUG' : 'ERROR', handleSignals: false });
      nativeConnection = await connectWorker(temporal.address);
      // The run's own queue: the lab's, or the shared one of a run an older CLI started.
      const worker = await (deps.createWorker ?? defaultWorker)(nativeConnection, settings.namespace, run.taskQueue);
      followed = await runWorkerUntil(worker, follow);
    } else {
      followed = await follow();
    }
    return finish(followed.outcome, request, io, followed.run.url);
  } finally {
    // A worker that was forced down may leave the native connection busy: do not wait on it forever.
    await withinMs(nativeConnection?.close(), 1_500);
    await withinMs(connection.close(), 1_500);
  }
}

/**
 * worker.runUntil, but what the CLI was doing wins over how the worker stopped: after a signal the
 * worker is forced down (shutdownForceTime) when an activity ignores cancellation, and that error
 * must not hide the "run goes on, attach again" line.
 */
async function runWorkerUntil<T>(worker: Worker, fn: () => Promise<T>): Promise<T> {
  let done: { value: T } | undefined;
  try {
    return await worker.runUntil(async () => {
      const value = await fn();
      done = { value };
      return value;
    });
  } catch (err) {
    // The run's outcome is in hand: a worker that then misses its shutdown period (seen on 2 cores at load
    // 40: GracefulShutdownPeriodExpiredError after a drain had PASSed) must not turn it into a failure.
    if (done) return done.value;
    const inner = (err as { cause?: { innerError?: unknown } }).cause?.innerError;
    if (err instanceof Error && err.name === 'CombinedWorkerRunError' && inner !== undefined) throw inner;
    throw err;
  }
}

async function withinMs(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

async function defaultWorker(connection: NativeConnection, namespace: string, taskQueue: string): Promise<Worker> {
  const { createLabWorker } = await import('../temporal/labWorker.js');
  return createLabWorker({ connection, namespace, taskQueue });
}

function finish<W extends Workflow>(
  outcome: { ok: true; result: WorkflowResultType<W> } | { ok: false; error: unknown },
  request: LabRunRequest<W>,
  io: CliIO,
  url: string,
): number {
  if (!outcome.ok) {
    const { type, message } = describeError(outcome.error);
    io.stderr.write(`${formatErrorLine({ message: `${request.operation} of lab "${request.spec.cluster}" failed (${type}): ${message}` })}\n`);
    io.stderr.write(`History: ${url}\n`);
    if (request.settings.json) writeJson(io, { error: { type, message } });
    return EXIT_FAILURE;
  }
  const result: unknown = outcome.result;
  if (request.settings.json) {
    writeJson(io, result ?? null);
  } else {
    let lines: string[];
    try {
      lines = request.summarize(outcome.result);
    } catch {
      // A result shape the summary does not know (newer workflow): show it rather than fail.
      lines = [JSON.stringify(result, null, 2)];
    }
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  return statusOf(result) === 'FAIL' ? EXIT_FAILURE : EXIT_OK;
}

function statusOf(result: unknown): unknown {
  return typeof result === 'object' && result !== null && 'status' in result ? result.status : undefined;
}

/** The one JSON object --json promises, always on the last line of stdout. */
export function writeJson(io: Pick<CliIO, 'stdout'>, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

async function hasWorkflowPollers(client: Client, namespace: string, taskQueue: string): Promise<boolean> {
  const response = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: 1 /* TASK_QUEUE_KIND_NORMAL */ },
    taskQueueType: 1 /* TASK_QUEUE_TYPE_WORKFLOW */,
  });
  return (response.pollers ?? []).length > 0;
}
