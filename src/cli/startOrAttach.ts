/**
 * Starts a lab workflow, or attaches to the run already open under the same id: one id per cluster
 * and operation, so typing the same command twice never runs the operation twice at once.
 */
import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { SearchAttributePair, Workflow, WorkflowResultType } from '@temporalio/common';

export interface StartRequest<W extends Workflow> {
  workflowType: string;
  workflowId: string;
  taskQueue: string;
  args: Parameters<W>;
  searchAttributes: SearchAttributePair[];
  memo: Record<string, unknown>;
}

export interface StartedRun<W extends Workflow> {
  /** Bound to this run, so queries and the result are this run's even if a newer one starts later. */
  handle: WorkflowHandle<W>;
  workflowId: string;
  runId: string;
  attached: boolean;
}

export async function startOrAttach<W extends Workflow>(client: Client, request: StartRequest<W>): Promise<StartedRun<W>> {
  const open = await openRunId(client, request.workflowId);
  if (open) {
    return { handle: client.workflow.getHandle<W>(request.workflowId, open), workflowId: request.workflowId, runId: open, attached: true };
  }
  // USE_EXISTING closes the gap between the check above and this call: a run started meanwhile by
  // another CLI is returned instead of failing with "already started".
  // Untyped start (the SDK's conditional option types cannot follow a generic W); `args` is typed
  // by the request and the returned handle is re-typed below.
  const started = await client.workflow.start<Workflow>(request.workflowType, {
    workflowId: request.workflowId,
    taskQueue: request.taskQueue,
    args: request.args,
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: request.searchAttributes,
    memo: request.memo,
  });
  const runId = started.firstExecutionRunId;
  return { handle: client.workflow.getHandle<W>(request.workflowId, runId), workflowId: request.workflowId, runId, attached: false };
}

/** The run id of the open execution with this id, if any. */
async function openRunId(client: Client, workflowId: string): Promise<string | undefined> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    return description.status.name === 'RUNNING' ? description.runId : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export type RunResult<W extends Workflow> = WorkflowResultType<W>;
