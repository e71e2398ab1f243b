/**
 * The standalone worker (`npm run worker`), for set-ups where CLI runs use `--no-worker`. Same
 * server resolution as the CLI (TEMPORAL_ADDRESS, else the embedded dev server, started if absent);
 * Ctrl-C or SIGTERM shut it down gracefully.
 */
import { Connection } from '@temporalio/client';
import { defaultDataDir } from './config/labSpec.js';
import { debugEnabled, describeError, formatErrorLine } from './cli/errors.js';
import { DEFAULT_NAMESPACE, ensureTemporalServer } from './temporal/embedded.js';
import { ensureSearchAttributes } from './temporal/ensureSearchAttributes.js';
import { connectWorker, createLabWorker, installRuntime } from './temporal/labWorker.js';
import { TASK_QUEUE } from './workflows/inputs.js';

async function runWorker(): Promise<void> {
  const namespace = process.env.TEMPORAL_NAMESPACE || DEFAULT_NAMESPACE;
  const explicitAddress = process.env.TEMPORAL_ADDRESS;
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
    const worker = await createLabWorker({ connection, namespace });
    process.stderr.write(`Worker polling task queue ${TASK_QUEUE} at ${temporal.address} (namespace ${namespace}); Ctrl-C stops it.\n`);
    await worker.run();
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
