/**
 * The supervisor's watch loop, apart from processes and files so its policy is plain to read: every
 * `pollMs`, each provisioned node that is not running gets restarted at once; a restart that fails is
 * retried with a growing pause; a stop request lets restarts in flight finish, then ends the loop.
 */

export interface SupervisedNodes {
  readonly names: readonly string[];
  /** A node without a data directory is not the supervisor's to start. */
  isProvisioned(name: string): boolean;
  isRunning(name: string): boolean;
  /** Starts a dead node and resolves once it accepts connections. */
  restart(name: string): Promise<void>;
  /** What died, for the log ("postmaster" unless said otherwise). */
  processName?(name: string): string;
}

export interface LoopOptions {
  readonly pollMs: number;
  /** Checked every round; false ends the loop (lab removed, another supervisor took over). */
  stillMine(): boolean;
  log(line: string): void;
  /** Resolves when a stop is requested (SIGTERM). */
  readonly stopRequested: Promise<void>;
}

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 10_000;

export async function superviseNodes(nodes: SupervisedNodes, options: LoopOptions): Promise<void> {
  const inFlight = new Map<string, Promise<void>>();
  const retryAt = new Map<string, { at: number; pauseMs: number }>();
  let stopping = false;
  void options.stopRequested.then(() => {
    stopping = true;
  });

  const restart = (name: string) => {
    const startedAt = Date.now();
    options.log(`${name}: ${nodes.processName?.(name) ?? 'postmaster'} is not running; restarting`);
    const work = nodes
      .restart(name)
      .then(() => {
        retryAt.delete(name);
        options.log(`${name}: restarted, accepting connections after ${Date.now() - startedAt} ms`);
      })
      .catch((err: unknown) => {
        const pauseMs = Math.min(MAX_RETRY_MS, (retryAt.get(name)?.pauseMs ?? FIRST_RETRY_MS / 2) * 2);
        retryAt.set(name, { at: Date.now() + pauseMs, pauseMs });
        const message = err instanceof Error ? err.message : String(err);
        options.log(`${name}: restart failed (${message.split('\n')[0]}); retrying in ${pauseMs} ms`);
      })
      .finally(() => inFlight.delete(name));
    inFlight.set(name, work);
  };

  while (!stopping && options.stillMine()) {
    for (const name of nodes.names) {
      if (stopping) break;
      if (inFlight.has(name) || (retryAt.get(name)?.at ?? 0) > Date.now()) continue;
      if (nodes.isProvisioned(name) && !nodes.isRunning(name)) restart(name);
    }
    await Promise.race([new Promise((resolve) => setTimeout(resolve, options.pollMs)), options.stopRequested]);
  }
  await Promise.all(inFlight.values());
}
