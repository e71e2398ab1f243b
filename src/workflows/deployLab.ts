import { patched, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { LabActivities } from '../activities/index.js';
import { LAB_OUTCOME } from '../temporal/searchAttributes.js';
import { failureMessage, failureType } from './failureMessage.js';
import { reportFailure } from './failureReport.js';
import { DATA_STEP, PLATFORM_STEP, SQL_STEP, quickHeartbeat, waitingStep } from './activityOptions.js';
import type { DeployLabInput } from './inputs.js';
import { startWatchLab } from './failover/startWatchLab.js';
import { API_PATCH, CLUSTER_LOCK_PATCH, QUICK_HEARTBEAT_PATCH, STANDBYS_PATCH } from './patches.js';
import { childOptions, executeChild } from './labChildren.js';
import { registerWorkers } from './registerWorkers.js';
import type { DeployLabResult } from './results.js';
import { StepRunner } from './stepRunner.js';
import { verifyLab } from './verifyLab.js';

export const DEPLOY_STEPS = [
  'preflight',
  'provision',
  'start-nodes',
  'wait-ready',
  'register-workers',
  'apply-schema',
  'load-sample-data',
  'start-api',
  'wait-api-ready',
  'verify',
  'report',
] as const;

/** The steps of runs that predate the API (API_PATCH): replays of their histories show these. */
const STEPS_BEFORE_API = DEPLOY_STEPS.filter((s) => s !== 'start-api' && s !== 'wait-api-ready');

/** Labs with standbys get two more steps: the replicas after wait-ready, and the WatchLab start last. */
export const STANDBY_DEPLOY_STEPS = [...DEPLOY_STEPS.slice(0, 4), 'standbys', ...DEPLOY_STEPS.slice(4), 'watch'] as const;
type DeployStep = (typeof STANDBY_DEPLOY_STEPS)[number];

/** `steps` with the standby steps added where a lab with standbys runs them. */
function withStandbySteps(steps: readonly DeployStep[]): DeployStep[] {
  const at = steps.indexOf('wait-ready') + 1;
  return [...steps.slice(0, at), 'standbys', ...steps.slice(at), 'watch'];
}

const DEFAULT_READY_TIMEOUT_S = 120;

/**
 * Deploys a lab from nothing (or from wherever an earlier run stopped): every step is an idempotent
 * activity or child workflow, so a crashed worker or a re-run picks up without redoing finished work.
 */
export async function deployLab(input: DeployLabInput): Promise<DeployLabResult> {
  const { spec } = input;
  const readyTimeout = input.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_S;
  // A killed worker's activity is retried within seconds (added later: older runs keep their timeouts).
  const quick = patched(QUICK_HEARTBEAT_PATCH);
  const platform = proxyActivities<LabActivities>(quickHeartbeat(PLATFORM_STEP, quick));
  const waiting = proxyActivities<LabActivities>(quickHeartbeat(waitingStep(readyTimeout), quick));
  const sql = proxyActivities<LabActivities>(quickHeartbeat(SQL_STEP, quick));
  const data = proxyActivities<LabActivities>(quickHeartbeat(DATA_STEP, quick));
  // Added after runs were recorded (README, "Changing workflow code"): old histories replay without the API steps.
  const withApi = patched(API_PATCH);
  const withStandbys = (spec.standbys ?? 0) > 0;
  const baseSteps: readonly DeployStep[] = withApi ? DEPLOY_STEPS : STEPS_BEFORE_API;
  const steps = new StepRunner<DeployStep>('DeployLab', spec.cluster, withStandbys ? withStandbySteps(baseSteps) : baseSteps);

  try {
    // Added after runs were recorded: old histories replay without it (see README, "Changing workflow code").
    if (patched(CLUSTER_LOCK_PATCH)) await sql.assertClusterIdle(spec, 'deploy');
    await steps.run('preflight', () => platform.preflight(spec));
    await steps.run(
      'provision',
      () => platform.provisionPlatform(spec),
      (r) => `${r.created.length} created, ${r.existing.length} already there`,
    );
    await steps.run(
      'start-nodes',
      () => platform.startNodes(spec),
      (r) => `${r.started.length} started, ${r.alreadyRunning.length} already running`,
    );
    const readiness = await steps.run(
      'wait-ready',
      () => waiting.waitForNodes(spec, { timeoutSeconds: readyTimeout }),
      (r) => `${r.length} nodes accept connections`,
    );
    // Only labs deployed with --standbys take these branches; older histories have none (README, "Changing workflow code").
    if (withStandbys && patched(STANDBYS_PATCH)) {
      await steps.run('standbys', () => platform.ensureStandbys(spec), (r) => `${r.created.length} created, ${r.existing.length} already there`);
    }
    const registration = await steps.run(
      'register-workers',
      () => executeChild(registerWorkers, { args: [{ spec }], ...childOptions(spec, 'register-workers') }),
      (r) => (r.unchanged ? 'already registered' : r.workers.map((w) => `${w.node}: ${w.action}`).join(', ')),
    );
    const schema = await steps.run(
      'apply-schema',
      () => sql.applySchema(spec),
      (r) => `${r.created.length} tables created, ${r.existing.length} already there`,
    );
    const load = await steps.run(
      'load-sample-data',
      () => data.loadSampleData(spec),
      (r) => (r.skipped ? 'already loaded' : `${sumRows(r.rows)} rows at ${Math.round(r.rowsPerSecond)} rows/s`),
    );
    let api: DeployLabResult['api'];
    if (withApi) {
      const started = await steps
        .run('start-api', () => platform.startApi(spec), (r) => `${r.started ? 'started' : 'already running'} on ${r.url}`)
        .catch((err: unknown) => {
          // A platform that cannot host the API yet says so with a typed error: the lab itself is still deployed.
          if (failureType(err) !== 'NotImplemented') throw err;
          steps.skip('start-api', failureMessage(err));
          steps.skip('wait-api-ready', 'no API on this platform yet');
          return undefined;
        });
      if (started) {
        const ready = await steps.run(
          'wait-api-ready',
          () => waiting.waitForApiReady(spec, { timeoutSeconds: readyTimeout }),
          (r) => `${r.url}/ready answers after ${r.readyAfterMs} ms`,
        );
        api = { url: started.url, started: started.started, readyAfterMs: ready.readyAfterMs };
      }
    }
    const verification = await steps.run(
      'verify',
      () => executeChild(verifyLab, { args: [{ spec }], ...childOptions(spec, 'verify') }),
      (r) => r.status,
    );
    const durationMs = steps.elapsedMs();
    const reports = await steps.run('report', () =>
      sql.writeReport(spec, {
        kind: 'deploy',
        title: `Deployment of lab ${spec.cluster} (${spec.env})`,
        status: verification.status,
        summary: { ...deploySummary(spec, verification.status, durationMs), ...(api ? { 'API URL': api.url } : {}) },
        checks: verification.checks,
        steps: steps.steps(),
        data: { readiness, registration, schema, load, ...(api ? { api } : {}) },
      }),
    );
    if (withStandbys && patched(STANDBYS_PATCH)) {
      await steps.run('watch', () => startWatchLab(spec), (r) => r);
    }
    upsertSearchAttributes([{ key: LAB_OUTCOME, value: verification.status }]);
    return {
      status: verification.status,
      cluster: spec.cluster,
      env: spec.env,
      durationMs,
      readiness,
      registration,
      schema,
      load,
      ...(api ? { api } : {}),
      verification,
      reports,
      steps: steps.steps(),
    };
  } catch (err) {
    await reportFailure(sql, spec, {
      kind: 'deploy',
      title: `Deployment of lab ${spec.cluster} (${spec.env}) FAILED`,
      summary: { ...deploySummary(spec, 'FAIL', steps.elapsedMs()), error: failureMessage(err) },
      steps: steps.steps(),
    }, err);
    throw err;
  }
}

function deploySummary(spec: DeployLabInput['spec'], status: string, durationMs: number) {
  return {
    cluster: spec.cluster,
    env: spec.env,
    workers: spec.workers,
    patients: spec.patients,
    status,
    duration_s: Math.round(durationMs / 100) / 10,
  };
}

function sumRows(rows: Record<string, number>): number {
  return Object.values(rows).reduce((a, b) => a + b, 0);
}
