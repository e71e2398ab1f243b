/** Every live process of one member (postmaster and backends), found by their working directory. */
import fs from 'node:fs';
import { isPostgresAlive } from '../postmaster.js';

export function memberPids(pgdata: string): number[] {
  let real: string;
  try {
    real = fs.realpathSync(pgdata);
  } catch {
    return [];
  }
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/cwd`) === real && isPostgresAlive(pid);
    } catch {
      return false;
    }
  });
}

/** State letter of /proc/<pid>/stat: `T` is stopped (SIGSTOP). */
export function processState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return stat.slice(close + 2, close + 3);
  } catch {
    return undefined;
  }
}

export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}

export async function waitUntilGone(pgdata: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (memberPids(pgdata).length > 0) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

const FAST_STOP_POLL_MS = 5;

/**
 * A fast shutdown: SIGINT to the postmaster (what `pg_ctl stop -m fast` sends), then a 5 ms poll until
 * it exits. pg_ctl polls every 100 ms and costs a process start; inside a switchover's pause both count.
 * The postmaster exits only after its walsenders shipped the shutdown checkpoint to the standbys.
 * False when it is still there after `timeoutMs` (the caller kills it).
 */
export async function fastShutdown(postmasterPid: number, timeoutMs: number): Promise<boolean> {
  signalAll([postmasterPid], 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isPostgresAlive(postmasterPid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, FAST_STOP_POLL_MS));
  }
  return true;
}
