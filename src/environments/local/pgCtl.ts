/** Runs initdb and pg_ctl for one node, as the server OS user. */
import fs from 'node:fs';
import { execa } from 'execa';
import { LabError } from '../../errors.js';
import type { PgBinaries } from './pgBinaries.js';
import { SUPERUSER } from './secrets.js';
import { spawnAs, type ServerUser } from './serverUser.js';

const START_TIMEOUT_S = 60;
const STOP_TIMEOUT_S = 60;
const LOG_TAIL_LINES = 10;

export interface NodeProcessContext {
  readonly bins: PgBinaries;
  readonly user: ServerUser;
  /** A directory the server user can enter; PostgreSQL programs fail when they cannot read their cwd. */
  readonly cwd: string;
}

function run(ctx: NodeProcessContext, file: string, args: string[], extraEnv: Record<string, string> = {}) {
  const as = spawnAs(ctx.user);
  return execa(file, args, {
    ...as,
    env: { ...as.env, ...extraEnv },
    cwd: ctx.cwd,
    stdin: 'ignore',
    reject: false,
    all: true,
  });
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

export function logTail(logFile: string, count = LOG_TAIL_LINES): string {
  try {
    return lastLines(fs.readFileSync(logFile, 'utf8'), count);
  } catch {
    return '(no log written)';
  }
}

/**
 * `walSegmentMb`: labs with standbys use 1 MB segments: a promotion copies the current segment to the
 * new timeline and fsyncs it, which for the default 16 MB took ~0.5 s of every failover here.
 */
export async function initdb(ctx: NodeProcessContext, pgdata: string, pwfile: string, walSegmentMb?: number): Promise<void> {
  const result = await run(ctx, ctx.bins.initdb, [
    '-D', pgdata,
    '-U', SUPERUSER,
    `--pwfile=${pwfile}`,
    '--auth-local=peer',
    '--auth-host=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
    // A lab cluster is disposable: skipping the final fsync of ~1,000 files saves seconds per node.
    '--no-sync',
    ...(walSegmentMb ? [`--wal-segsize=${walSegmentMb}`] : []),
  ]);
  if (result.exitCode !== 0) {
    throw new LabError('CommandFailed', `initdb failed for ${pgdata}:\n${lastLines(result.all ?? '', LOG_TAIL_LINES)}`);
  }
}

/** Starts a stopped node and waits until it accepts connections. */
export async function startNode(
  ctx: NodeProcessContext,
  node: { name: string; pgdata: string; logFile: string; pgpassFile: string },
): Promise<void> {
  const result = await run(
    ctx,
    ctx.bins.pgCtl,
    ['-D', node.pgdata, '-w', '-t', String(START_TIMEOUT_S), '-l', node.logFile, 'start'],
    // Inherited by the postmaster and every backend, so Citus' node-to-node libpq connections find it.
    { PGPASSFILE: node.pgpassFile },
  );
  if (result.exitCode !== 0) {
    throw new LabError(
      'NodeNotReady',
      `PostgreSQL node ${node.name} did not start (see ${node.logFile}); last log lines:\n${logTail(node.logFile)}`,
      { details: { node: node.name, pgCtlOutput: lastLines(result.all ?? '', LOG_TAIL_LINES) } },
    );
  }
}

/** Fast shutdown: rolls back open transactions, then checkpoints, so the next start needs no recovery. */
export async function stopNode(ctx: NodeProcessContext, node: { name: string; pgdata: string }): Promise<void> {
  const args = ['-D', node.pgdata, '-m', 'fast', '-w', '-t', String(STOP_TIMEOUT_S), 'stop'];
  const result = await run(ctx, ctx.bins.pgCtl, args);
  const output = result.all ?? '';
  // pg_ctl exits 1 when there is nothing to stop (no or stale postmaster.pid): that is the goal anyway.
  if (result.exitCode !== 0 && !/Is server running\?|No such process/.test(output)) {
    const tail = lastLines(output, LOG_TAIL_LINES);
    throw new LabError('CommandFailed', `Stopping PostgreSQL node ${node.name} failed: ${tail}`);
  }
}
