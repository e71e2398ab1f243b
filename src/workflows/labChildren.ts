import { executeChild, workflowInfo, type ChildWorkflowOptions } from '@temporalio/workflow';
import type { LabSpec } from '../config/labSpec.js';
import { LAB_CLUSTER, LAB_ENV } from '../temporal/searchAttributes.js';

/**
 * Options for a lab child workflow: a deterministic id under the parent's (so a retried or resumed
 * parent finds its child again) and the parent's env/cluster search attributes for the Web UI.
 */
export function childOptions(spec: LabSpec, operation: string): Pick<ChildWorkflowOptions, 'workflowId' | 'typedSearchAttributes'> {
  return {
    workflowId: `${workflowInfo().workflowId}-${operation}`,
    typedSearchAttributes: [
      { key: LAB_ENV, value: spec.env },
      { key: LAB_CLUSTER, value: spec.cluster },
    ],
  };
}

export { executeChild };
