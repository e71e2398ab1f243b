/**
 * RebalanceAndDrain: moves shards online through Citus' background job, with a preflight, live
 * progress, cancellation and a proof that no row was lost.
 *
 * cluster lock -> (fix identity) -> preflight -> snapshot -> (drain: shouldhaveshards = false) ->
 * start the job (its id lands in history) -> follow it (heartbeats; progress by signal) ->
 * (drain --remove) -> snapshot -> proof -> Markdown + JSON report.
 *
 * Failures before the job leave the cluster untouched (typed errors: PreflightFailed, RebalanceRunning,
 * UnknownNode). Once shards move, a failure or cancel stops the job (never a half move: each move is
 * transactional), snapshots what is, writes the report, and says which drain flag is still set, so the
 * same command continues later.
 */
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { LabActivities } from '../../activities/index.js';
import type { CheckResult, ReportInput } from '../../activities/results.js';
import { LAB_OUTCOME } from '../../temporal/searchAttributes.js';
import { SQL_STEP, quickHeartbeat } from '../activityOptions.js';
import { compareSnapshots, formatPlacements, placementsByNode, proofProblems } from './compareSnapshots.js';
import { failureMessage, failureType } from '../failureMessage.js';
import { QUICK_HEARTBEAT_PATCH, SESSION_MOVES_PATCH } from '../patches.js';
import { rebalanceInputProblem } from './rebalanceInputProblem.js';
import { describeProgress, formatBytes, isNewerProgress, rebalanceProgressQuery, rebalanceProgressSignal } from './rebalanceProgress.js';
import {
  REBALANCE_DEFAULTS,
  type DataSnapshot,
  type DrainState,
  type JobProgress,
  type PreflightReport,
  type RebalanceAndDrainInput,
  type RebalanceAndDrainResult,
  type RebalanceJobSummary,
} from './rebalanceTypes.js';
import { StepRunner } from '../stepRunner.js';

const STEPS = [
  'cluster-idle',
  'fix-identity',
  'preflight',
  'snapshot-before',
  'mark-draining',
  'start-job',
  'move-shards',
  'remove-node',
  'snapshot-after',
  'report',
] as const;
type Step = (typeof STEPS)[number];

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' } as const;

/** Full scans of every table (and ALTER TABLE for --fix-identity): long on big labs, heartbeats per table. */
const SNAPSHOT_STEP: ActivityOptions = { startToCloseTimeout: '60m', heartbeatTimeout: '5m', retry: { ...retry, maximumAttempts: 3 } };
/** Planning the moves can take a while on a big cluster; a retry adopts the job an earlier attempt started. */
const START_STEP: ActivityOptions = { startToCloseTimeout: '5m', retry: { ...retry, maximumAttempts: 5 } };
/**
 * Follows the job for as long as it runs. It heartbeats every poll, so a cancel reaches it within a
 * poll and a dead worker is noticed within the heartbeat timeout; the retry follows the same job.
 */
const FOLLOW_STEP: ActivityOptions = {
  startToCloseTimeout: '24h',
  heartbeatTimeout: '20s',
  retry: { ...retry, maximumInterval: '10s', maximumAttempts: 20 },
};
const STOP_STEP: ActivityOptions = { startToCloseTimeout: '2m', heartbeatTimeout: '20s', retry: { ...retry, maximumAttempts: 3 } };

/** The run's activities; `quick` (QUICK_HEARTBEAT_PATCH): a killed worker's activity is retried within seconds. */
function activitiesFor(quick: boolean) {
  const proxy = (options: ActivityOptions) => proxyActivities<LabActivities>(quickHeartbeat(options, quick));
  return { sql: proxy(SQL_STEP), data: proxy(SNAPSHOT_STEP), starting: proxy(START_STEP), following: proxy(FOLLOW_STEP), stopping: proxy(STOP_STEP) };
}

function stepNames(input: RebalanceAndDrainInput): Step[] {
  const drain = input.operation === 'drain';
  return STEPS.filter((s) => {
    if (s === 'fix-identity') return (input.fixIdentity ?? []).length > 0;
    if (s === 'mark-draining') return drain;
    if (s === 'remove-node') return drain && input.remove === true;
    return true;
  });
}

function describePreflight(r: PreflightReport): string {
  const passed = r.checks.filter((c) => c.status === 'PASS').length;
  return r.problems.length ? r.problems.map((p) => p.message).join('; ') : `${passed}/${r.checks.length} checks passed`;
}

function describeSnapshot(s: DataSnapshot): string {
  const rows = s.tables.reduce((sum, t) => sum + t.rows, 0);
  return `${s.tables.length} tables, ${rows} rows; placements ${formatPlacements(placementsByNode(s.nodes))}`;
}

function describeMoves(p: JobProgress): string {
  // Job id 0: the moves ran in the run's own session (no background job).
  return `${p.jobId ? `job ${p.jobId}` : 'session'}: ${p.movesDone}/${p.movesTotal} moves${p.bytesTotal ? `, ${formatBytes(p.bytesDone)}` : ''}`;
}

function drainStateOf(snapshot: DataSnapshot, node: string, address: string): DrainState {
  const entry = snapshot.nodes.find((n) => n.node === node);
  if (!entry) return { node, address, registered: false, shouldHaveShards: false, placements: 0 };
  return { node, address: entry.address, registered: true, shouldHaveShards: entry.shouldHaveShards, placements: entry.placements };
}

function drainFlagSentence(state: DrainState): string {
  if (!state.registered) return `${state.node} is no longer in Citus' metadata`;
  return `${state.node} has shouldhaveshards = ${state.shouldHaveShards} and holds ${state.placements} placements`;
}

export async function rebalanceAndDrain(input: RebalanceAndDrainInput): Promise<RebalanceAndDrainResult> {
  const { spec } = input;
  // Added after runs were recorded: older runs keep their timeouts (README, "Changing workflow code").
  const { sql, data, starting, following, stopping } = activitiesFor(patched(QUICK_HEARTBEAT_PATCH));
  const problem = rebalanceInputProblem(input);
  if (problem) throw ApplicationFailure.nonRetryable(problem.message, problem.type);

  const drain = input.operation === 'drain';
  const node = input.node ?? '';
  const transferMode = input.transferMode ?? REBALANCE_DEFAULTS.transferMode;
  const parallelMoves = input.parallelMoves ?? REBALANCE_DEFAULTS.parallelMoves;
  const label = drain ? `drain --node ${node}` : 'rebalance';
  const request = { operation: input.operation, ...(drain ? { node } : {}), transferMode, remove: input.remove === true };
  const base = {
    cluster: spec.cluster,
    env: spec.env,
    operation: input.operation,
    ...(drain ? { node } : {}),
    transferMode,
    checkOnly: input.checkOnly === true,
  };

  if (input.checkOnly) {
    const steps = new StepRunner('RebalanceAndDrain', spec.cluster, ['preflight'] as const);
    const preflight = await steps.run('preflight', () => sql.rebalancePreflight(spec, { ...request, enforce: false }), describePreflight);
    return {
      ...base,
      status: preflight.status,
      preflight,
      identityChanges: [],
      problems: preflight.problems.map((p) => p.message),
      durationMs: steps.elapsedMs(),
      steps: steps.steps(),
    };
  }

  const steps = new StepRunner<Step>('RebalanceAndDrain', spec.cluster, stepNames(input));
  let latest: JobProgress | undefined;
  setHandler(rebalanceProgressQuery, () => latest);
  setHandler(rebalanceProgressSignal, (progress) => {
    if (!isNewerProgress(latest, progress)) return;
    latest = progress;
    // Phases change every poll; the step detail (one log line per change on a pipe) keeps to moves.
    steps.note('move-shards', describeProgress(progress, { phases: false }));
  });

  await steps.run('cluster-idle', () => sql.assertClusterIdle(spec, label), () => 'no other operation runs');
  const fixes = input.fixIdentity ?? [];
  const identityChanges = fixes.length
    ? await steps.run('fix-identity', () => data.fixReplicaIdentity(spec, fixes), (r) => r.map((c) => c.message).join('; '))
    : [];
  const preflight = await steps.run('preflight', () => sql.rebalancePreflight(spec, { ...request, enforce: true }), describePreflight);

  if (drain && preflight.target && !preflight.target.registered) {
    // drain --remove of a node an earlier run removed already: done.
    for (const step of ['snapshot-before', 'mark-draining', 'start-job', 'move-shards', 'remove-node', 'snapshot-after', 'report'] as const) {
      steps.skip(step, `${node} was already removed from Citus`);
    }
    upsertSearchAttributes([{ key: LAB_OUTCOME, value: 'PASS' }]);
    return {
      ...base,
      status: 'PASS',
      preflight,
      identityChanges,
      drain: { node, address: preflight.target.address, registered: false, shouldHaveShards: false, placements: 0, removed: false },
      problems: [],
      durationMs: steps.elapsedMs(),
      steps: steps.steps(),
    };
  }

  const before = await steps.run('snapshot-before', () => data.snapshotData(spec), describeSnapshot);
  let job: RebalanceJobSummary | undefined;
  const address = preflight.target?.address ?? '';

  try {
    if (drain) {
      await steps.run(
        'mark-draining',
        () => sql.markNodeDraining(spec, node),
        (d) => `${node}: shouldhaveshards = false${d.changed ? '' : ' (already)'}, ${d.placements} placements to move`,
      );
    }
    if (preflight.parallelTransfer === false && patched(SESSION_MOVES_PATCH)) {
      // This Citus moves one shard group after another anyway; from a session it does so without the
      // background job's per-move 1 s catch-up sleeps and worker start-ups (sessionMoves.ts).
      steps.skip('start-job', 'this Citus has no parallel transfer of co-located shard groups: the moves run in this run\'s session, not a background job');
      job = { jobId: null, session: true, adopted: false, parallelMoves: 1, parallelTransfer: false, settings: [] };
      const progress = await steps.run(
        'move-shards',
        () => following.moveShardsInSession(spec, { operation: input.operation, ...(drain ? { node } : {}), transferMode }),
        describeMoves,
      );
      job.progress = progress;
      latest = progress;
    } else {
      const start = await steps.run(
        'start-job',
        () => starting.startRebalanceJob(spec, { operation: input.operation, transferMode, parallelMoves, afterJobId: preflight.lastJobId }),
        (s) =>
          s.jobId === null
            ? 'nothing to move'
            : `job ${s.jobId}${s.adopted ? ' (adopted from an earlier attempt)' : ''}, ${transferMode}, up to ${parallelMoves} moves at once` +
              `${s.settings.length ? `; set ${s.settings.map((c) => `${c.name} ${c.from} -> ${c.to}`).join(', ')}` : ''}`,
      );
      job = { jobId: start.jobId, adopted: start.adopted, parallelMoves, parallelTransfer: start.parallelTransfer, settings: start.settings };
      const jobId = start.jobId;
      if (jobId === null) {
        steps.skip('move-shards', 'Citus found nothing to move');
      } else {
        const progress = await steps.run(
          'move-shards',
          () => following.followRebalanceJob(spec, jobId, { maxTaskFailures: REBALANCE_DEFAULTS.maxTaskFailures }),
          describeMoves,
        );
        job.progress = progress;
        latest = progress;
      }
    }
    let removed = false;
    if (drain && input.remove) {
      removed = (await steps.run('remove-node', () => sql.removeDrainedNode(spec, node), (r) => r.message)).removed;
    }
    const after = await steps.run('snapshot-after', () => data.snapshotData(spec), describeSnapshot);

    const proof = compareSnapshots(before, after, input.writesTo);
    const drainState = drain ? { ...drainStateOf(after, node, address), removed } : undefined;
    const problems = [...proofProblems(proof)];
    if (drainState?.registered && drainState.placements > 0) {
      problems.push(`${node} still holds ${drainState.placements} shard placements after the job finished`);
    }
    const status = problems.length ? 'FAIL' : 'PASS';
    const result: RebalanceAndDrainResult = {
      ...base,
      status,
      preflight,
      identityChanges,
      job,
      proof,
      ...(drainState ? { drain: drainState } : {}),
      problems,
      durationMs: steps.elapsedMs(),
      steps: [],
    };
    const reports = await steps.run('report', () => sql.writeReport(spec, reportInput(result, steps.steps(), { before, after })), (r) => r.markdown);
    upsertSearchAttributes([{ key: LAB_OUTCOME, value: status }]);
    return { ...result, reports, durationMs: steps.elapsedMs(), steps: steps.steps() };
  } catch (err) {
    upsertSearchAttributes([{ key: LAB_OUTCOME, value: 'FAIL' }]);
    // Stopping the job, looking at what is, and the report must happen even when the run is being cancelled.
    const aftermath = await CancellationScope.nonCancellable(async () => {
      const stopped = await stopping
        .stopRebalanceJob(spec, { ...(job?.jobId ? { jobId: job.jobId } : {}), afterJobId: preflight.lastJobId })
        .catch(() => null);
      if (stopped) {
        job = job ?? { jobId: stopped.jobId, adopted: false, parallelMoves, parallelTransfer: false, settings: [] };
        job.progress = stopped;
      }
      // Session moves have no job to ask: the last progress they signalled is what was done.
      if (job?.session && latest) job.progress = latest;
      const after = await data.snapshotData(spec).catch(() => undefined);
      const drainState = drain && after ? { ...drainStateOf(after, node, address), removed: false } : undefined;
      const proof = after ? compareSnapshots(before, after, input.writesTo) : undefined;
      const stoppedAt = job?.progress ? `; job ${job.progress.jobId} ${job.progress.state} after ${job.progress.movesDone} of ${job.progress.movesTotal} moves` : '';
      const flag = drainState ? `; ${drainFlagSentence(drainState)}: run ${label} again to continue` : '';
      const why = isCancellation(err) ? `the run was cancelled${stoppedAt}${flag}` : failureMessage(err);
      const result: RebalanceAndDrainResult = {
        ...base,
        status: 'FAIL',
        preflight,
        identityChanges,
        ...(job ? { job } : {}),
        ...(proof ? { proof } : {}),
        ...(drainState ? { drain: drainState } : {}),
        problems: [why, ...(proof ? proofProblems(proof) : [])],
        durationMs: steps.elapsedMs(),
        steps: [],
      };
      const reports = await sql.writeReport(spec, reportInput(result, steps.steps(), { before, after })).catch(() => undefined);
      return { result, reports };
    });
    if (isCancellation(err)) throw err;
    const { result, reports } = aftermath;
    const moved = result.job?.progress
      ? `; ${result.job.progress.movesDone} of ${result.job.progress.movesTotal} moves were done (job ${result.job.progress.jobId} ${result.job.progress.state})`
      : '';
    const flag = result.drain
      ? `; ${drainFlagSentence(result.drain)}: run ${label} again to continue${result.drain.shouldHaveShards ? '' : ', or set shouldhaveshards back to true to undo'}`
      : '';
    throw ApplicationFailure.create({
      type: failureType(err) ?? 'CommandFailed',
      message: `${failureMessage(err).replace(/\.$/, '')}${moved}${flag}${reports ? `. Report: ${reports.markdown}` : ''}`,
      nonRetryable: true,
      cause: err instanceof Error ? err : undefined,
    });
  }
}

function reportInput(r: RebalanceAndDrainResult, steps: ReportInput['steps'], snapshots: { before: DataSnapshot; after?: DataSnapshot }): ReportInput {
  const p = r.job?.progress;
  const summary: Record<string, string | number | boolean> = {
    cluster: r.cluster,
    env: r.env,
    operation: r.operation,
    ...(r.node ? { node: r.node } : {}),
    transfer_mode: r.transferMode,
    status: r.status,
    job: r.job?.session ? 'none: moved from the run\'s session (this Citus has no parallel transfer)' : (r.job?.jobId ?? 'none (nothing to move)'),
    moves: p ? `${p.movesDone}/${p.movesTotal}` : '0/0',
    bytes_moved: p ? formatBytes(p.bytesDone) : '0 B',
    parallel_moves: r.job ? `${r.job.parallelMoves}${r.job.parallelTransfer ? ' (co-located groups in parallel)' : ''}${r.job.session ? ' (one shard group at a time)' : ''}` : '-',
    duration_s: Math.round(r.durationMs / 100) / 10,
    placements_before: formatPlacements(placementsByNode(snapshots.before.nodes)),
    placements_after: snapshots.after ? formatPlacements(placementsByNode(snapshots.after.nodes)) : 'unknown',
    rows_and_checksums: r.proof ? (r.proof.ok ? `unchanged in ${r.proof.tables.length} tables` : 'CHANGED (see checks)') : 'not checked',
    settings_changed: r.job?.settings.length ? r.job.settings.map((c) => `${c.name} ${c.from} -> ${c.to} (${c.how})`).join('; ') : 'none',
    ...(r.drain ? { drain_flag: drainFlagSentence(r.drain) } : {}),
    ...(r.identityChanges.length ? { identity_changes: r.identityChanges.map((c) => c.message).join('; ') } : {}),
    ...(r.problems.length ? { problems: r.problems.join('; ') } : {}),
  };
  const checks: CheckResult[] = (r.proof?.tables ?? []).map((t) => ({
    name: `rows and checksum: ${t.table}`,
    status: t.ok ? 'PASS' : 'FAIL',
    message:
      t.verdict === 'unchanged'
        ? `${t.rowsAfter} rows, checksum ${t.checksumAfter} unchanged`
        : `${t.verdict}: ${t.rowsBefore} -> ${t.rowsAfter} rows, checksum ${t.checksumBefore} -> ${t.checksumAfter}`,
    durationMs: 0,
  }));
  if (r.drain?.registered) {
    checks.push({
      name: `${r.drain.node} emptied`,
      status: r.drain.placements === 0 ? 'PASS' : 'FAIL',
      message: drainFlagSentence(r.drain),
      durationMs: 0,
    });
  }
  const title = r.operation === 'drain' ? `Drain of ${r.node} in lab ${r.cluster} (${r.env})` : `Rebalance of lab ${r.cluster} (${r.env})`;
  return {
    kind: r.operation,
    title: r.status === 'PASS' ? title : `${title}: FAIL`,
    status: r.status,
    summary,
    checks,
    steps,
    data: { ...r, snapshots },
  };
}
