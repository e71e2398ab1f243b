/**
 * Whether a node's postmaster is running, read from its `postmaster.pid` and /proc. Cheaper than
 * `pg_ctl status`, and unlike a bare `kill(pid, 0)` it is not fooled by zombies or a reused pid.
 */
import fs from 'node:fs';
import path from 'node:path';

const HAS_PROCFS = fs.existsSync('/proc/self');

export interface PostmasterInfo {
  readonly pid: number;
  readonly port: number | undefined;
}

/** Line 1 of postmaster.pid is the pid, line 4 the port (PostgreSQL's documented lock-file layout). */
export function readPostmasterPid(pgdata: string): PostmasterInfo | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return { pid, port: Number.isInteger(port) && port > 0 ? port : undefined };
}

/**
 * True when `pid` is a live (not zombie) postgres process. A SIGKILLed postmaster is reparented and,
 * in containers whose init never reaps, lingers as a zombie that `kill(pid, 0)` still reports alive.
 */
export function isPostgresAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return procAliveWithoutProcfs(pid);
  }
  // Format: `pid (comm) state ...`; comm may contain spaces or parentheses, so split at the last ')'.
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const state = stat.slice(close + 2, close + 3);
  return state !== 'Z' && state !== 'X' && /postgres|postmaster/.test(comm);
}

function procAliveWithoutProcfs(pid: number): boolean {
  if (HAS_PROCFS) return false; // procfs exists, so the pid does not
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every PostgreSQL process chdirs into its PGDATA, which tells our postmaster from a reused pid. */
function worksIn(pid: number, pgdata: string): boolean {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`) === fs.realpathSync(pgdata);
  } catch {
    return false; // gone, a zombie (no cwd), or another user's process: not our node either way
  }
}

/** The node's live postmaster, if it runs. */
export function runningPostmaster(pgdata: string): PostmasterInfo | undefined {
  const info = readPostmasterPid(pgdata);
  if (!info || !isPostgresAlive(info.pid)) return undefined;
  return !HAS_PROCFS || worksIn(info.pid, pgdata) ? info : undefined;
}

/** Polls until `pid` is gone; false on timeout. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isPostgresAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** Pids of live postgres processes working in `pgdata`: a dead postmaster's backends, until they notice. */
function livePostgresIn(pgdata: string): number[] {
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return pids.map(Number).filter((pid) => worksIn(pid, pgdata) && isPostgresAlive(pid));
}

/**
 * Removes the postmaster.pid a killed node left behind, once none of its processes remain. PostgreSQL
 * would refuse to start while the dead postmaster is an unreaped zombie (its own check is kill(pid, 0)),
 * and a slow init can take seconds to reap. Returns false if old backends outlive `timeoutMs`.
 */
export async function clearStaleLock(pgdata: string, timeoutMs: number): Promise<boolean> {
  if (!readPostmasterPid(pgdata) || runningPostmaster(pgdata)) return true;
  if (!HAS_PROCFS) return true; // cannot inspect processes: let PostgreSQL judge
  const deadline = Date.now() + timeoutMs;
  while (livePostgresIn(pgdata).length > 0) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  fs.rmSync(path.join(pgdata, 'postmaster.pid'), { force: true });
  return true;
}
