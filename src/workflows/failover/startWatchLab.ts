/** DeployLab's last step for labs with standbys: make sure the lab's WatchLab runs (one per lab). */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import type { LabSpec } from '../../config/labSpec.js';
import { LAB_CLUSTER, LAB_ENV } from '../../temporal/searchAttributes.js';
import { labWorkflowId } from '../inputs.js';
import { watchLab } from './watchLab.js';

export async function startWatchLab(spec: LabSpec): Promise<string> {
  const workflowId = labWorkflowId(spec, 'watch');
  try {
    await startChild(watchLab, {
      workflowId,
      args: [{ spec }],
      // It watches the lab, not the deploy: it keeps running after DeployLab completes.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [
        { key: LAB_ENV, value: spec.env },
        { key: LAB_CLUSTER, value: spec.cluster },
      ],
    });
    return `${workflowId} started`;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return `${workflowId} already running`;
    throw err;
  }
}
