/**
 * A workflow id names an env, a cluster and an operation, but not the data dir: two labs called
 * "lab" in two data dirs share ids. Before the CLI attaches to an open run (and reports its result
 * as this lab's), it checks that the run is this lab's: same env, cluster and data dir, read from the
 * run's memo, or from its input for runs started before the memo carried the data dir.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { LabSpec } from '../config/labSpec.js';
import { LabError } from '../errors.js';

type LabIdentity = Pick<LabSpec, 'env' | 'cluster' | 'dataDir'>;

/** What the CLI writes into a run's memo (read back by `labOfRun`). */
export function labMemo(spec: LabSpec, command: string): Record<string, unknown> {
  return { env: spec.env, cluster: spec.cluster, dataDir: spec.dataDir, command };
}

function identityFrom(value: unknown): LabIdentity | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { env, cluster, dataDir } = value as Record<string, unknown>;
  return typeof env === 'string' && typeof cluster === 'string' && typeof dataDir === 'string' ? { env, cluster, dataDir } as LabIdentity : undefined;
}

/** The lab a run works on: its memo, else the `spec` of its first argument (every lab workflow takes one). */
export async function labOfRun(client: Client, workflowId: string, runId: string, memo: Record<string, unknown> | undefined): Promise<LabIdentity | undefined> {
  const fromMemo = identityFrom(memo);
  if (fromMemo) return fromMemo;
  const history = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  const payload = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  const input: unknown = defaultPayloadConverter.fromPayload(payload);
  return identityFrom(typeof input === 'object' && input !== null ? (input as { spec?: unknown }).spec : undefined);
}

/** Throws RunOfAnotherLab when the open run works on another lab than `spec`. */
export async function assertRunOfLab(
  client: Client,
  run: { workflowId: string; runId: string; memo?: Record<string, unknown> },
  spec: LabSpec,
): Promise<void> {
  const other = await labOfRun(client, run.workflowId, run.runId, run.memo);
  if (!other) return; // not a lab run we can read (a fixture, a foreign client): nothing to compare
  if (other.env === spec.env && other.cluster === spec.cluster && other.dataDir === spec.dataDir) return;
  throw new LabError(
    'RunOfAnotherLab',
    `workflow ${run.workflowId} (run ${run.runId}) is open for lab "${other.cluster}" (${other.env}) in ${other.dataDir}, not in ${spec.dataDir}: ` +
      `wait for it to end (or run the command with --data-dir ${other.dataDir} to attach to it), then run the command again`,
  );
}
