/** The HA drill's and the lab test suites' activities: each resolves the lab's environment and delegates. */
import type { LabSpec } from '../../../config/labSpec.js';
import type { ActivityDeps } from '../../index.js';
import type { CheckResult } from '../../results.js';
import { checkAfterDrill, type AfterCheckInput } from './drillAfter.js';
import { takeDrillBaseline } from './drillBaseline.js';
import { checkDrillReady } from './drillReadiness.js';
import { awaitNodeRecovery, type RecoveryOptions } from './drillRecovery.js';
import type {
  DrillAfterCheck,
  DrillBaseline,
  DrillPlan,
  DrillReadiness,
  FaultInjected,
  NodeRecovery,
  ProbeRunOptions,
  ProbeRunSummary,
} from './drillTypes.js';
import { injectFaultKind } from '../../failover/drillFaults.js';
import type { FaultKind } from '../../../environments/labEnvironment.js';
import { runProbes } from './probes.js';
import { basicChecks, queryChecks } from '../suiteChecks.js';

export function createDrillActivities(deps: ActivityDeps) {
  const env = async (spec: LabSpec) => deps.environmentFor(spec);
  return {
    async checkDrillReady(spec: LabSpec, node: string): Promise<DrillReadiness> {
      return checkDrillReady(await env(spec), node);
    },
    async takeDrillBaseline(spec: LabSpec, node: string, drillId: string): Promise<DrillBaseline> {
      return takeDrillBaseline(await env(spec), node, drillId);
    },
    async runProbes(spec: LabSpec, plan: DrillPlan, options: ProbeRunOptions): Promise<ProbeRunSummary> {
      return runProbes(await env(spec), plan, options);
    },
    /** The fault itself, through the platform: SIGKILL of the postmaster (local), of the container’s main process (compose), pod delete (minikube). */
    async injectNodeFault(spec: LabSpec, node: string, fault?: FaultKind): Promise<FaultInjected> {
      const lab = await env(spec);
      if (fault === undefined) {
        const injectedAt = Date.now();
        await lab.injectFault(node);
        return { node, injectedAt };
      }
      return injectFaultKind(lab, node, fault);
    },
    async awaitNodeRecovery(spec: LabSpec, node: string, options: RecoveryOptions): Promise<NodeRecovery> {
      return awaitNodeRecovery(await env(spec), node, options);
    },
    async checkAfterDrill(spec: LabSpec, input: AfterCheckInput): Promise<DrillAfterCheck> {
      return checkAfterDrill(await env(spec), input);
    },
    async suiteBasicChecks(spec: LabSpec): Promise<CheckResult[]> {
      return basicChecks(await env(spec));
    },
    async suiteQueryChecks(spec: LabSpec): Promise<CheckResult[]> {
      return queryChecks(await env(spec));
    },
  };
}
