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
  /** Refuses (throws) when the run found under the id is not this request's to follow (another lab's). */
  assertOwnRun?(run: { workflowId: string; runId: string; memo?: Record<string, unknown> }): Promise<void>;
}

export interface StartedRun<W extends Workflow> {
  /** Bound to this run, so queries and the result are this run's even if a newer one starts later. */
  handle: WorkflowHandle<W>;
  workflowId: string;
  runId: string;
  attached: boolean;
  /** The run's own task queue: an attached run started by an older CLI may live on another one. */
  taskQueue: string;
}

export async function startOrAttach<W extends Workflow>(client: Client, request: StartRequest<W>): Promise<StartedRun<W>> {
  const open = await openRun(client, request.workflowId);
  if (open) {
    await request.assertOwnRun?.({ workflowId: request.workflowId, ...open });
    return {
      handle: client.workflow.getHandle<W>(request.workflowId, open.runId),
      workflowId: request.workflowId,
      runId: open.runId,
      attached: true,
      taskQueue: open.taskQueue,
    };
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
  // The run returned may be one another CLI started in that gap, for another lab.
  let taskQueue = request.taskQueue;
  if (request.assertOwnRun) {
    const description = await client.workflow.getHandle(request.workflowId, runId).describe();
    await request.assertOwnRun({ workflowId: request.workflowId, runId, memo: description.memo });
    taskQueue = description.taskQueue;
  }
  return { handle: client.workflow.getHandle<W>(request.workflowId, runId), workflowId: request.workflowId, runId, attached: false, taskQueue };
}

/** The open execution with this id, if any. */
async function openRun(client: Client, workflowId: string): Promise<{ runId: string; taskQueue: string; memo?: Record<string, unknown> } | undefined> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    if (description.status.name !== 'RUNNING') return undefined;
    return { runId: description.runId, taskQueue: description.taskQueue, memo: description.memo };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export type RunResult<W extends Workflow> = WorkflowResultType<W>;
