/** Waiting helpers for tests that watch files written by other processes or Temporal's visibility. */
import fs from 'node:fs';
import type { Client } from '@temporalio/client';
import { LAB_CLUSTER } from '../../src/temporal/searchAttributes.js';

/** Non-empty lines of a file another process appends to; none while it does not exist yet. */
export function readLines(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

export async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until visibility lists (`running: true`) or no longer lists a run of the cluster as running. */
export async function untilVisiblyRunning(client: Client, cluster: string, workflowId: string, running: boolean): Promise<void> {
  const query = `${LAB_CLUSTER.name} = "${cluster}" AND ExecutionStatus = "Running"`;
  await until(
    `${workflowId} to ${running ? 'show' : 'stop showing'} as running in visibility`,
    async () => {
      for await (const run of client.workflow.list({ query })) if (run.workflowId === workflowId) return running;
      return !running;
    },
    15_000,
    200,
  );
}
