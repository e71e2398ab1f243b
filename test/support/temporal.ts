/**
 * Helpers for tests that run workflows against the real dev server started in globalSetup.
 * Workflow code is bundled once per test file (bundling takes seconds) and reused by every worker.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DefaultLogger } from '@temporalio/worker';

export const workflowsPath = fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url));

export function temporalAddress(): string {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: jest globalSetup starts the dev server');
  return address;
}

let runtimeInstalled = false;
/** Keeps worker logs quiet unless a test fails loudly; warnings still show. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by another helper in this process
  }
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  return bundle;
}

export interface TestTemporal {
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectTemporal(): Promise<TestTemporal> {
  quietRuntime();
  const address = temporalAddress();
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    connection,
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/** Creates a worker on the shared bundle; `activities` are the test's replacements. */
export async function createTestWorker(
  t: TestTemporal,
  taskQueue: string,
  activities: object,
): Promise<Worker> {
  return Worker.create({
    connection: t.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
  });
}
