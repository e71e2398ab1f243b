/**
 * The standalone worker (`npm run worker [-- --lab env/cluster ...]`), for set-ups where CLI runs use
 * `--no-worker` and for schedules. One worker per lab task queue in this process (workerQueues.ts).
 * Same server resolution as the CLI (TEMPORAL_ADDRESS, else the embedded dev server, started if
 * absent); Ctrl-C or SIGTERM shut it down gracefully.
 */
import { Connection } from '@temporalio/client';
import { defaultDataDir } from './config/labSpec.js';
import { debugEnabled, describeError, formatErrorLine } from './cli/errors.js';
import { DEFAULT_NAMESPACE, ensureTemporalServer } from './temporal/embedded.js';
import { ensureSearchAttributes } from './temporal/ensureSearchAttributes.js';
import { connectWorker, createLabWorker, installRuntime } from './temporal/labWorker.js';
import { assertUsableDataDir } from './config/dataDir.js';
import { workerTaskQueues } from './temporal/workerQueues.js';

async function runWorker(): Promise<void> {
  const namespace = process.env.TEMPORAL_NAMESPACE || DEFAULT_NAMESPACE;
  const explicitAddress = process.env.TEMPORAL_ADDRESS;
  const taskQueues = workerTaskQueues(process.argv.slice(2));
  if (!explicitAddress) assertUsableDataDir(defaultDataDir());
  installRuntime({ logLevel: debugEnabled() ? 'DEBUG' : 'INFO', handleSignals: true });
  const temporal = await ensureTemporalServer({
    explicit: explicitAddress ? { address: explicitAddress, from: 'TEMPORAL_ADDRESS' } : undefined,
    dataDir: defaultDataDir(),
    namespace,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const admin = await Connection.connect({ address: temporal.address });
  try {
    await ensureSearchAttributes(admin, namespace);
  } finally {
    await admin.close();
  }
  const connection = await connectWorker(temporal.address);
  try {
    // One worker per queue (the cached workflow bundle is built once); each polls one lab's queue.
    const workers = await Promise.all(taskQueues.map((taskQueue) => createLabWorker({ connection, namespace, taskQueue })));
    process.stderr.write(
      `Worker polling task queues ${taskQueues.join(', ')} at ${temporal.address} (namespace ${namespace}); Ctrl-C stops it.\n`,
    );
    await Promise.all(workers.map((worker) => worker.run()));
  } finally {
    await connection.close();
  }
}

try {
  await runWorker();
} catch (err) {
  const described = describeError(err);
  process.stderr.write(`${formatErrorLine(described)}\n`);
  if (debugEnabled() && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = described.exitCode;
}
