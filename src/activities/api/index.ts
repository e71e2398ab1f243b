/** The lab's FHIR API as activities: start it on the platform, wait until it is ready, check it. */
import type { LabSpec } from '../../config/labSpec.js';
import { heartbeatIfActivity } from '../activityContext.js';
import type { ActivityDeps } from '../index.js';
import type { ApiReadiness, ApiStartResult, CheckResult } from '../results.js';
import { runApiChecks } from './apiChecks.js';
import { waitForApiReady } from './apiReady.js';

export function createApiActivities(deps: ActivityDeps) {
  const env = async (spec: LabSpec) => deps.environmentFor(spec);
  return {
    async startApi(spec: LabSpec): Promise<ApiStartResult> {
      return (await env(spec)).startApi(heartbeatIfActivity);
    },
    async waitForApiReady(spec: LabSpec, options: { timeoutSeconds: number }): Promise<ApiReadiness> {
      return waitForApiReady(await env(spec), options);
    },
    async runApiChecks(spec: LabSpec): Promise<CheckResult[]> {
      return runApiChecks(await env(spec));
    },
  };
}
