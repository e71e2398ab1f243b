/**
 * The one way to build the lab's worker, shared by the standalone worker (`npm run worker`) and the
 * worker the CLI runs in-process while it follows a run.
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { TASK_QUEUE } from '../workflows/inputs.js';
import { cachedWorkflowBundle } from './workflowBundleCache.js';

export const LAB_WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * After a worker dies without saying goodbye (SIGKILL, OOM), its workflows' next tasks wait on its
 * sticky queue until this timeout before any other worker may take them (the server only notices a
 * sticky queue without pollers after 10 s). The SDK default is 10 s; lab runs are short and
 * crash-resume is a feature here, so give up on a silent worker after 1 s. A live worker that is too
 * busy to take its sticky task within 1 s gets it from the normal queue instead (a full replay, not
 * an error). A task the dead worker had already started waits out the workflow task timeout instead
 * (2 s on the embedded server: src/temporal/devServerTuning.ts).
 *
 * Heartbeats reach the server at most every 80% of an activity's heartbeat timeout by default: with
 * the few-second timeouts the lab uses (so a dead worker's activity is retried soon), one late beat of
 * a busy event loop would time out a live activity. At most 1 s between beats leaves most of the
 * timeout as slack.
 */
export const LAB_WORKER_TUNING = { stickyQueueScheduleToStartTimeout: '1s', maxHeartbeatThrottleInterval: '1s' } as const;

/**
 * How long a stopping worker waits for its in-flight activities before it gives up on them. Activities
 * are cancelled at once on shutdown (grace 0, the SDK default) and heartbeating ones stop; one that
 * never looks (a stuck call) would otherwise hold the process forever. Its task stays on the server,
 * which retries it after its timeout: the run is not lost, only this process stops waiting.
 */
export const LAB_WORKER_SHUTDOWN_FORCE_TIME = '4s';

export interface LabWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue?: string;
  /** Tests point these at fixtures; the lab uses its own workflows and `createActivities()`. */
  workflowsPath?: string;
  activities?: object;
}

export async function createLabWorker(options: LabWorkerOptions): Promise<Worker> {
  // Loaded on demand: the activities pull in pg, execa and the platform code, which `--help` and
  // input validation should not pay for.
  const activities = options.activities ?? (await import('../activities/index.js')).createActivities();
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    // Test fixtures are bundled fresh; the cache key only covers the lab's own sources.
    ...(options.workflowsPath ? { workflowsPath: options.workflowsPath } : { workflowBundle: await cachedWorkflowBundle() }),
    activities,
    ...LAB_WORKER_TUNING,
    shutdownForceTime: LAB_WORKER_SHUTDOWN_FORCE_TIME,
  });
}

export function connectWorker(address: string): Promise<NativeConnection> {
  return NativeConnection.connect({ address });
}

/**
 * Installs the SDK runtime once per process. The CLI keeps the SDK quiet (its own progress lines
 * say what happens) and handles Ctrl-C itself; the standalone worker lets the SDK shut down on signals.
 */
export function installRuntime(options: { logLevel: LogLevel; handleSignals: boolean }): void {
  try {
    Runtime.install({
      logger: new DefaultLogger(options.logLevel),
      ...(options.handleSignals ? {} : { shutdownSignals: [] }),
    });
  } catch {
    // Already installed (tests build several workers in one process): keep the first settings.
  }
}
