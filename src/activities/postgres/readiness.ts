/**
 * Waits until every node accepts connections. Refused connections and servers still starting are the
 * normal state right after a start, so they are waited out; a rejected password never heals, so it
 * fails at once.
 */
import { LabError, isLabError } from '../../errors.js';
import type { LabEnvironment } from '../../environments/labEnvironment.js';
import type { NodeReadiness } from '../results.js';
import { heartbeatIfActivity, pause } from '../activityContext.js';
import { MAINTENANCE_DATABASE, errorMessage, withNodeClient } from './connect.js';

export interface WaitOptions {
  timeoutSeconds: number;
  /** Pause between rounds; a round probes every node that is not ready yet, in parallel. */
  pollMs?: number;
}

const MAX_PROBE_TIMEOUT_MS = 3_000;

function isWaitable(err: unknown): err is LabError {
  return isLabError(err) && (err.type === 'NodeUnreachable' || err.type === 'NodeNotReady');
}

export async function waitForNodes(env: LabEnvironment, options: WaitOptions): Promise<NodeReadiness[]> {
  const nodes = env.nodes();
  const startedAt = Date.now();
  const deadline = startedAt + options.timeoutSeconds * 1000;
  const ready = new Map<string, NodeReadiness>();
  const lastError = new Map<string, string>();

  for (;;) {
    const pending = nodes.filter((n) => !ready.has(n.name));
    const probeTimeout = Math.max(250, Math.min(MAX_PROBE_TIMEOUT_MS, deadline - Date.now()));
    await Promise.all(
      pending.map(async (node) => {
        try {
          const serverVersion = await withNodeClient(
            env,
            node.name,
            MAINTENANCE_DATABASE,
            async (client) => {
              const { rows } = await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
              return rows[0]?.v ?? 'unknown';
            },
            { connectTimeoutMs: probeTimeout },
          );
          ready.set(node.name, { node: node.name, readyAfterMs: Date.now() - startedAt, serverVersion });
        } catch (err) {
          if (!isWaitable(err)) throw err;
          lastError.set(node.name, errorMessage(err.cause ?? err));
        }
      }),
    );

    const waiting = nodes.filter((n) => !ready.has(n.name)).map((n) => n.name);
    heartbeatIfActivity({ ready: [...ready.keys()], waiting });
    if (waiting.length === 0) return nodes.map((n) => ready.get(n.name) as NodeReadiness);

    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const down = waiting.map((name) => `${name} (${lastError.get(name) ?? 'no answer'})`).join('; ');
      throw new LabError(
        'NodeNotReady',
        `${waiting.length} of ${nodes.length} nodes did not accept connections within ${options.timeoutSeconds} s: ` +
          `${down}; check \`citus-lab status\` and the node logs.`,
        { details: { waiting: waiting.map((name) => ({ node: name, lastError: lastError.get(name) })) } },
      );
    }
    await pause(Math.min(options.pollMs ?? 500, remaining));
  }
}
