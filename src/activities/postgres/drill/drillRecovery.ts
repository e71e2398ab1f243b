/**
 * After the fault: waits for the platform to bring the node back (nothing here restarts it), first
 * until it accepts connections, then until a multi-shard query through the coordinator succeeds.
 * Polls every `pollMs` with short timeouts, so the times it returns are within a poll of the truth.
 * Each poll heartbeats a checkpoint: a retry after a lost worker keeps the lost attempt's start (its
 * deadline) and what it saw, and when it finds the node recovered at its first look, says that this
 * happened while nobody watched (`unobserved`) instead of passing its own time off as the moment.
 */
import { LabError } from '../../../errors.js';
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import { attemptIfActivity, firstScheduledAtIfActivity, heartbeatIfActivity, pause, previousAttemptDetails } from '../../activityContext.js';
import { recoveryCheckpointOf } from './drillCheckpoints.js';
import { MAINTENANCE_DATABASE, coordinatorOf, errorMessage, findNode, withNodeClient } from '../connect.js';
import type { NodeRecovery, RecoveryCheckpoint } from './drillTypes.js';

export interface RecoveryOptions {
  timeoutSeconds: number;
  pollMs?: number;
}

const PROBE_TIMEOUTS = { connectTimeoutMs: 1_000, statementTimeoutMs: 2_000 };

export async function awaitNodeRecovery(env: LabEnvironment, nodeName: string, options: RecoveryOptions): Promise<NodeRecovery> {
  const node = findNode(env, nodeName);
  const coordinator = coordinatorOf(env);
  const pollMs = options.pollMs ?? 50;
  const resumed = resumeFrom(node.name);
  const startedAt = resumed.startedAt;
  const deadline = startedAt + options.timeoutSeconds * 1000;
  let acceptingAt = resumed.acceptingAt;
  let unobserved = resumed.unobserved;
  // A retry's first look: whatever it finds recovered, recovered while nobody watched.
  let lostSince = resumed.lostSince;
  let lastError = 'no answer yet';

  for (;;) {
    try {
      if (acceptingAt === undefined) {
        await withNodeClient(env, node.name, MAINTENANCE_DATABASE, (c) => c.query('SELECT 1'), PROBE_TIMEOUTS);
        acceptingAt = Date.now();
        if (lostSince !== undefined) unobserved = { ...unobserved, acceptingAt: { from: lostSince, to: acceptingAt } };
      }
      await withNodeClient(env, coordinator.name, env.spec.database, (c) => c.query('SELECT count(*) FROM pacientes'), PROBE_TIMEOUTS);
      const distributedOkAt = Date.now();
      if (lostSince !== undefined) unobserved = { ...unobserved, distributedOkAt: { from: lostSince, to: distributedOkAt } };
      return { node: node.name, acceptingAt, distributedOkAt, ...(unobserved ? { unobserved } : {}) };
    } catch (err) {
      lastError = errorMessage(err).split('\n')[0] ?? '';
    }
    lostSince = undefined;
    const now = Date.now();
    heartbeatIfActivity({
      kind: 'recovery',
      node: node.name,
      startedAt,
      at: now,
      ...(acceptingAt !== undefined ? { acceptingAt } : {}),
      ...(unobserved ? { unobserved } : {}),
    } satisfies RecoveryCheckpoint);
    if (Date.now() >= deadline) {
      const what = acceptingAt === undefined ? 'accept connections' : 'serve a multi-shard query through the coordinator';
      throw new LabError(
        'NodeNotReady',
        `${node.name} did not ${what} within ${options.timeoutSeconds} s of the fault (last error: ${lastError}): the platform ` +
          'did not bring it back; check `citus-lab status` and the node log (local labs: logs/supervisor.log).',
        { nonRetryable: true, details: { node: node.name, lastError } },
      );
    }
    await pause(pollMs);
  }
}

/**
 * Where this attempt starts from: a first attempt now; a retry from the lost attempt's checkpoint (or,
 * without one, from when the first attempt was scheduled), with `lostSince` the last moment the node's
 * state was known.
 */
function resumeFrom(node: string): { startedAt: number; lostSince?: number; acceptingAt?: number; unobserved?: NodeRecovery['unobserved'] } {
  const now = Date.now();
  if (attemptIfActivity() === 1) return { startedAt: now };
  const checkpoint = recoveryCheckpointOf(previousAttemptDetails(), node);
  if (!checkpoint) {
    const scheduledAt = firstScheduledAtIfActivity() ?? now;
    return { startedAt: scheduledAt, lostSince: scheduledAt };
  }
  return {
    startedAt: checkpoint.startedAt,
    lostSince: checkpoint.at,
    ...(checkpoint.acceptingAt !== undefined ? { acceptingAt: checkpoint.acceptingAt } : {}),
    ...(checkpoint.unobserved ? { unobserved: checkpoint.unobserved } : {}),
  };
}
