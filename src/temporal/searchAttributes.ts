import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes, so the Web UI can filter lab runs by environment, cluster, step and
 * outcome. They must exist on the server before a workflow sets them: the embedded dev server gets
 * them at start (`--search-attribute`), any other server through `ensureSearchAttributes`.
 */
export const LAB_ENV = defineSearchAttributeKey('CitusLabEnv', SearchAttributeType.KEYWORD);
export const LAB_CLUSTER = defineSearchAttributeKey('CitusLabCluster', SearchAttributeType.KEYWORD);
export const LAB_STEP = defineSearchAttributeKey('CitusLabStep', SearchAttributeType.KEYWORD);
export const LAB_OUTCOME = defineSearchAttributeKey('CitusLabOutcome', SearchAttributeType.KEYWORD);

export const LAB_SEARCH_ATTRIBUTES = [LAB_ENV, LAB_CLUSTER, LAB_STEP, LAB_OUTCOME] as const;
