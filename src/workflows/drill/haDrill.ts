/**
 * HaDrill: kill one node under a steady probe load and measure what clients see.
 *
 * Baseline (data fingerprint, probe plan) -> probes start and keep running -> fault through the
 * platform -> wait for the platform to bring the node back (re-register it if Citus lost it) -> the
 * probes end by themselves once every class has been healthy for `settleSeconds` -> the fingerprint
 * again and every acknowledged write looked up -> numbers, verdict, Markdown + JSON report, and the
 * CitusLabOutcome search attribute. Problems after the fault make a FAIL result with a report, not a
 * bare error: the report is the product, and a failed recovery is exactly when it matters.
 */
import {
  ApplicationFailure,
  CancellationScope,
  patched,
  proxyActivities,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { LabActivities } from '../../activities/index.js';
import type { DrillAfterCheck, NodeRecovery } from '../../activities/postgres/drill/drillTypes.js';
import { LAB_OUTCOME } from '../../temporal/searchAttributes.js';
import { PLATFORM_STEP, SQL_STEP, quickHeartbeat } from '../activityOptions.js';
import { drillMetrics, drillSummary, judgeDrill, measurementGaps, type DrillMetrics } from './drillReport.js';
import { drillTargetProblem } from './drillTarget.js';
import { failureMessage, failureType } from '../failureMessage.js';
import { reportFailure } from '../failureReport.js';
import { DRILL_DEFAULTS, type HaDrillInput, type HaDrillResult } from './haDrillTypes.js';
import { childOptions, executeChild } from '../labChildren.js';
import { API_DRILL_PATCH } from '../patches.js';
import { registerWorkers } from '../registerWorkers.js';
import { StepRunner } from '../stepRunner.js';
import type { GroupRecovery } from '../../activities/failover/drillFaults.js';
import { recoveredByCheck, renameAddress } from '../failover/drillModes.js';
import { startWatchLab } from '../failover/startWatchLab.js';
import { DRILL_RESUME_PATCH, HA_DRILL_MODES_PATCH, QUICK_HEARTBEAT_PATCH } from '../patches.js';

export const HA_DRILL_STEPS = [
  'cluster-idle',
  'validate',
  'self-healing',
  'baseline',
  'probes',
  'inject-fault',
  'recover',
  'verify-after',
  'report',
] as const;

/** A second attempt would measure something else (a second kill, probes after the outage): once only. */
const once = (timeout: string, heartbeat?: string): ActivityOptions => ({
  startToCloseTimeout: timeout,
  ...(heartbeat ? { heartbeatTimeout: heartbeat } : {}),
  retry: { maximumAttempts: 1 },
});

/**
 * Measuring activities that continue, not repeat, after a lost worker (DRILL_RESUME_PATCH): the
 * retry resumes from the lost attempt's heartbeat checkpoint and names the span nobody measured
 * (activities/postgres/drillCheckpoints.ts). A few attempts: each one is a lost worker.
 */
const resumable = (timeout: string): ActivityOptions => ({
  startToCloseTimeout: timeout,
  heartbeatTimeout: '5s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '5s', maximumAttempts: 4 },
});

export async function haDrill(input: HaDrillInput): Promise<HaDrillResult> {
  const { spec, node } = input;
  const cadenceMs = input.cadenceMs ?? DRILL_DEFAULTS.cadenceMs;
  const settleMs = (input.settleSeconds ?? DRILL_DEFAULTS.settleSeconds) * 1000;
  const recoveryTimeoutSeconds = input.recoveryTimeoutSeconds ?? DRILL_DEFAULTS.recoveryTimeoutSeconds;
  const maxDurationMs = DRILL_DEFAULTS.warmupMs + recoveryTimeoutSeconds * 1000 + settleMs + 5_000;

  const problem = drillTargetProblem(spec, node, input.allowCoordinator === true);
  if (problem) throw ApplicationFailure.nonRetryable(problem, node === 'coordinator' ? 'ConfigInvalid' : 'UnknownNode');

  // Both added after runs were recorded: older drills replay with the options they had.
  const quick = patched(QUICK_HEARTBEAT_PATCH);
  const resume = patched(DRILL_RESUME_PATCH);
  const sql = proxyActivities<LabActivities>(quickHeartbeat(SQL_STEP, quick));
  const platform = proxyActivities<LabActivities>(quickHeartbeat(PLATFORM_STEP, quick));
  // Never retried: a second attempt could be a second fault.
  const fault = proxyActivities<LabActivities>(once('60s'));
  // A short heartbeat timeout also means a cancel (no fault after all) reaches the probes within seconds.
  const probeTimeout = `${Math.ceil(maxDurationMs / 1000) + 60}s`;
  const probing = proxyActivities<LabActivities>(resume ? resumable(probeTimeout) : once(probeTimeout, '5s'));
  const recoveryTimeout = `${recoveryTimeoutSeconds + 30}s`;
  const waiting = proxyActivities<LabActivities>(resume ? resumable(recoveryTimeout) : once(recoveryTimeout, '20s'));
  const steps = new StepRunner('HaDrill', spec.cluster, HA_DRILL_STEPS);
  // `--fault` / `--expect` (added later): drills without them run, and replay, exactly as before.
  const modes = (input.fault !== undefined || input.expect !== undefined) && patched(HA_DRILL_MODES_PATCH);
  const faultKind = input.fault ?? 'kill';
  const { workflowId, runId } = workflowInfo();
  const drillId = `${workflowId}:${runId}`;
  // Refusals (busy cluster, lab not deployed) leave no trace on the lab, not even a report.
  let validated = false;

  try {
    await steps.run('cluster-idle', () => sql.assertClusterIdle(spec, `ha-drill --node ${node}`), () => 'no other operation runs');
    await steps.run('validate', () => sql.checkDrillReady(spec, node), (r) => `${r.nodes} nodes running; ${node} is a ${r.role}`);
    validated = true;
    // Makes sure the platform restarts nodes (for local: the supervisor runs); every node already runs.
    await steps.run('self-healing', () => platform.startNodes(spec), (r) => `${r.alreadyRunning.length} nodes running, restart policy in place`);
    const baseline = await steps.run(
      'baseline',
      () => sql.takeDrillBaseline(spec, node, drillId),
      (b) => `${b.tables.length} tables, ${b.tables.reduce((n, t) => n + t.rows, 0)} rows fingerprinted`,
    );

    const probeScope = new CancellationScope();
    // Drills recorded before the API probe classes replay without them (the activity's input differs only).
    const api = patched(API_DRILL_PATCH);
    const probes = steps.run(
      'probes',
      () => probeScope.run(() => probing.runProbes(spec, baseline.plan, { cadenceMs, settleMs, maxDurationMs, ...(api ? { api } : {}) })),
      (p) => `${p.classes.reduce((n, c) => n + c.probes, 0)} probes, ${p.classes.reduce((n, c) => n + c.failed, 0)} failed; ended ${p.endedBy}`,
    );
    // Settled at once so a failure is never an unhandled rejection while other steps run.
    const probesDone = probes.then(
      (value) => ({ value, error: undefined }),
      (err: unknown) => ({ value: undefined, error: failureMessage(err) }),
    );
    // An automatic failover needs the lab's watch running; starting it again is a no-op.
    if (modes && input.expect === 'failover') await startWatchLab(spec);
    await sleep(DRILL_DEFAULTS.warmupMs);

    const injected = await steps
      .run(
        'inject-fault',
        () => (modes ? fault.injectNodeFault(spec, node, faultKind) : fault.injectNodeFault(spec, node)),
        () => (modes ? `${node}: ${faultKind}` : `${node} killed`),
      )
      .catch(async (err: unknown) => {
        // No fault, no drill: stop the probes (nothing to measure) and fail with the platform's reason.
        probeScope.cancel();
        await probesDone;
        throw err;
      });

    let recovery: NodeRecovery | undefined;
    let recoveryError: string | undefined;
    try {
      recovery = await steps.run(
        'recover',
        async () => {
          const back = await waiting.awaitNodeRecovery(spec, node, { timeoutSeconds: recoveryTimeoutSeconds });
          await reregisterIfNeeded(spec);
          return back;
        },
        (r) => `accepting connections after ${r.acceptingAt - injected.injectedAt} ms, multi-shard query after ${r.distributedOkAt - injected.injectedAt} ms`,
      );
    } catch (err) {
      recoveryError = failureMessage(err);
    }

    let recoveredBy: GroupRecovery | undefined;
    if (modes) {
      // What brought the group back, and a partitioned node's processes released whatever happened.
      recoveredBy = await sql.groupRecovery(spec, injected).catch(() => undefined);
      if (faultKind === 'partition') await sql.healNodeFault(spec, node).catch(() => undefined);
    }
    const { value: probeSummary, error: probesError } = await probesDone;
    let after: DrillAfterCheck | undefined;
    let afterError: string | undefined;
    try {
      after = await steps.run(
        'verify-after',
        () => sql.checkAfterDrill(spec, { drillId, committedRanges: probeSummary?.writes.committedRanges ?? [] }),
        (a) => `${a.writes.present} drill writes present, ${a.writes.lost} lost`,
      );
    } catch (err) {
      afterError = failureMessage(err);
    }

    const metrics: DrillMetrics | undefined = probeSummary ? drillMetrics(probeSummary, injected.injectedAt, recovery) : undefined;
    const judgedBaseline = recoveredBy ? { ...baseline, ...renameAddress(baseline, recoveredBy.addressBefore, recoveredBy.addressNow) } : baseline;
    // Empty unless a lost worker's retry resumed a measurement (DRILL_RESUME_PATCH): then the report says what nobody measured.
    const gaps = measurementGaps(injected.injectedAt, probeSummary, recovery);
    const judged = judgeDrill({ node, metrics, recovery, recoveryError, probesError, baseline: judgedBaseline, after, afterError, gaps });
    const byCheck = modes ? recoveredByCheck(recoveredBy, input.expect, recoveryError) : undefined;
    const verdict = byCheck
      ? { status: judged.status === 'PASS' && byCheck.status === 'PASS' ? ('PASS' as const) : ('FAIL' as const), checks: [...judged.checks, byCheck] }
      : judged;
    const problems = [recoveryError, probesError, afterError].filter((p): p is string => p !== undefined);
    const durationMs = steps.elapsedMs();
    const faultAt = new Date(injected.injectedAt).toISOString();
    const reports = await steps.run(
      'report',
      () =>
        sql.writeReport(spec, {
          kind: 'ha-drill',
          title: `HA drill: ${node} of lab ${spec.cluster} (${spec.env})`,
          status: verdict.status,
          summary: {
            ...drillSummary(node, verdict.status, metrics, after),
            'fault injected at': faultAt,
            ...(modes ? { fault: faultKind, 'recovered by': recoveredBy ? `${recoveredBy.by} (${recoveredBy.primaryNow})` : 'unknown' } : {}),
            'duration (s)': Math.round(durationMs / 100) / 10,
            ...(gaps.length ? { 'measurement gaps (lost worker)': gaps.join('; ') } : {}),
          },
          checks: verdict.checks,
          steps: steps.steps(),
          data: {
            drillId,
            faultAt,
            metrics,
            recovery,
            probes: probeSummary,
            baseline,
            after,
            problems,
            ...(recoveredBy ? { recoveredBy } : {}),
            ...(gaps.length ? { measurementGaps: gaps } : {}),
          },
        }),
      (r) => r.markdown,
    );
    upsertSearchAttributes([{ key: LAB_OUTCOME, value: verdict.status }]);
    return {
      status: verdict.status,
      cluster: spec.cluster,
      env: spec.env,
      node,
      drillId,
      faultAt,
      metrics: metrics ?? { probes: 0, failedProbes: 0, classes: [] },
      checks: verdict.checks,
      ...(recovery ? { recovery } : {}),
      ...(recoveredBy ? { recoveredBy } : {}),
      ...(probeSummary ? { probes: probeSummary } : {}),
      ...(after ? { after } : {}),
      problems,
      ...(gaps.length ? { measurementGaps: gaps } : {}),
      durationMs,
      reports,
      steps: steps.steps(),
    };
  } catch (err) {
    if (!validated) {
      upsertSearchAttributes([{ key: LAB_OUTCOME, value: 'FAIL' }]);
      throw err;
    }
    await reportFailure(sql, spec, {
      kind: 'ha-drill',
      title: `HA drill: ${node} of lab ${spec.cluster} (${spec.env}) FAILED`,
      summary: { node, status: 'FAIL', error: failureMessage(err) },
      steps: steps.steps(),
    }, err);
    throw err;
  }

  /** A worker that came back inactive in Citus' metadata gets registered again (RegisterWorkers is idempotent). */
  async function reregisterIfNeeded(labSpec: typeof spec): Promise<void> {
    // A mismatch is the answer, not a failure to retry; with DRILL_RESUME_PATCH a lost worker's check is retried.
    const check = proxyActivities<LabActivities>(
      resume
        ? { ...quickHeartbeat(SQL_STEP, quick), retry: { ...SQL_STEP.retry, nonRetryableErrorTypes: ['WorkerSetMismatch'] } }
        : { ...SQL_STEP, retry: { maximumAttempts: 1 } },
    );
    try {
      await check.checkActiveWorkers(labSpec);
    } catch (err) {
      if (failureType(err) !== 'WorkerSetMismatch') throw err;
      await executeChild(registerWorkers, { args: [{ spec: labSpec }], ...childOptions(labSpec, 'register-workers') });
    }
  }
}
