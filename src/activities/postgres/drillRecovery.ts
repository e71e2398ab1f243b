/**
 * After the fault: waits for the platform to bring the node back (nothing here restarts it), first
 * until it accepts connections, then until a multi-shard query through the coordinator succeeds.
 * Polls every `pollMs` with short timeouts, so the times it returns are within a poll of the truth.
 */
import { LabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import { heartbeatIfActivity, pause } from '../activityContext.js';
import { MAINTENANCE_DATABASE, coordinatorOf, errorMessage, findNode, withNodeClient } from './connect.js';
import type { NodeRecovery } from './drillTypes.js';

export interface RecoveryOptions {
  timeoutSeconds: number;
  pollMs?: number;
}

const PROBE_TIMEOUTS = { connectTimeoutMs: 1_000, statementTimeoutMs: 2_000 };

export async function awaitNodeRecovery(env: LabEnvironment, nodeName: string, options: RecoveryOptions): Promise<NodeRecovery> {
  const node = findNode(env, nodeName);
  const coordinator = coordinatorOf(env);
  const pollMs = options.pollMs ?? 50;
  const startedAt = Date.now();
  const deadline = startedAt + options.timeoutSeconds * 1000;
  let acceptingAt: number | undefined;
  let lastError = 'no answer yet';

  for (;;) {
    try {
      if (acceptingAt === undefined) {
        await withNodeClient(env, node.name, MAINTENANCE_DATABASE, (c) => c.query('SELECT 1'), PROBE_TIMEOUTS);
        acceptingAt = Date.now();
      }
      await withNodeClient(env, coordinator.name, env.spec.database, (c) => c.query('SELECT count(*) FROM pacientes'), PROBE_TIMEOUTS);
      return { node: node.name, acceptingAt, distributedOkAt: Date.now() };
    } catch (err) {
      lastError = errorMessage(err).split('\n')[0] ?? '';
    }
    heartbeatIfActivity({ node: node.name, accepting: acceptingAt !== undefined, waitedMs: Date.now() - startedAt });
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
