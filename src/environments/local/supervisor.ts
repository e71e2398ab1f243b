/**
 * The local environment's restart policy: one small detached Node process per lab (supervisorMain.ts)
 * that restarts any node whose postmaster died, and the lab's API process once deploy started it, the
 * way a StatefulSet or a compose restart policy would. This module starts, finds and stops it; `<lab>/supervisor.pid` names it and
 * `<lab>/logs/supervisor.log` records every restart.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureDir } from '../../config/dataDir.js';
import type { LabSpec } from '../../config/labSpec.js';
import { LabError } from '../../errors.js';
import type { LabLayout } from './labLayout.js';

/** What the supervisor needs to build its own LocalEnvironment: nothing secret. */
export interface SupervisorLaunch {
  readonly spec: LabSpec;
  readonly preloadCitus: boolean;
  readonly pgBinDir?: string;
}

export interface SupervisorRecord {
  readonly pid: number;
  /** Digest of where and how it starts nodes: a different one gets a new supervisor. */
  readonly launch: string;
  /** How many workers it watches: a spec with more gets a new supervisor, one with fewer keeps this one. */
  readonly workers: number;
  readonly startedAt: string;
}

const MAIN = fileURLToPath(new URL(`./supervisorMain${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));
/** Marks the supervisor's command line, with the lab dir, so a reused pid is never mistaken for it. */
const LAB_ARG = '--citus-lab-supervisor=';
const STOP_TIMEOUT_MS = 70_000; // a restart in flight finishes first; pg_ctl start waits up to 60 s

export function supervisorFiles(layout: Pick<LabLayout, 'clusterDir' | 'logsDir'>) {
  return {
    pidFile: path.join(layout.clusterDir, 'supervisor.pid'),
    logFile: path.join(layout.logsDir, 'supervisor.log'),
  };
}

/** Where the nodes live and how they start (not the worker count, database or patients). */
export function launchDigest(launch: SupervisorLaunch): string {
  const { cluster, dataDir, basePort } = launch.spec;
  const relevant = { cluster, dataDir, basePort, preloadCitus: launch.preloadCitus, pgBinDir: launch.pgBinDir ?? null };
  // Standbys add members to watch; labs without them keep the digest they always had.
  if (launch.spec.standbys) Object.assign(relevant, { standbys: launch.spec.standbys });
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

function readRecord(pidFile: string): SupervisorRecord | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as Partial<SupervisorRecord>;
    if (typeof parsed.pid !== 'number' || typeof parsed.launch !== 'string') return undefined;
    return { pid: parsed.pid, launch: parsed.launch, workers: Number(parsed.workers ?? 0), startedAt: String(parsed.startedAt ?? '') };
  } catch {
    return undefined;
  }
}

/** True when `pid` is a live supervisor of the lab in `clusterDir` (not a zombie, not a reused pid). */
export function isSupervisorOf(pid: number, clusterDir: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes(`${LAB_ARG}${clusterDir}`);
  } catch {
    return false;
  }
}

/** The lab's live supervisor, if one runs. */
export function runningSupervisor(layout: Pick<LabLayout, 'clusterDir' | 'logsDir'>): SupervisorRecord | undefined {
  const record = readRecord(supervisorFiles(layout).pidFile);
  return record && isSupervisorOf(record.pid, layout.clusterDir) ? record : undefined;
}

/** Node arguments that let a child run this TypeScript checkout the way we run (tsx), or plain JS once built. */
function loaderArgs(): string[] {
  if (!MAIN.endsWith('.ts')) return [];
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return ['--import', pathToFileURL(tsx).href];
}

/**
 * Starts the lab's supervisor unless one already watches these nodes (or more: a command run with a
 * smaller --workers never narrows it); replaces one with another launch. Detached in its own session,
 * so it outlives the CLI or worker that started it.
 */
export async function ensureSupervisor(layout: LabLayout, launch: SupervisorLaunch): Promise<SupervisorRecord> {
  const files = supervisorFiles(layout);
  const digest = launchDigest(launch);
  const current = runningSupervisor(layout);
  if (current?.launch === digest && current.workers >= launch.spec.workers) return current;
  if (current) await stopSupervisor(layout);

  ensureDir(layout.logsDir);
  const log = fs.openSync(files.logFile, 'a', 0o644);
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // a test runner's flags are not the supervisor's business
  let pid: number | undefined;
  try {
    const child = spawn(
      process.execPath,
      [...loaderArgs(), MAIN, `${LAB_ARG}${layout.clusterDir}`, Buffer.from(JSON.stringify(launch)).toString('base64')],
      { detached: true, stdio: ['ignore', log, log], cwd: layout.clusterDir, env },
    );
    child.unref();
    pid = child.pid;
  } finally {
    fs.closeSync(log);
  }
  if (pid === undefined) {
    throw new LabError('CommandFailed', `Could not start the node supervisor of lab "${launch.spec.cluster}" (see ${files.logFile}).`);
  }
  const record: SupervisorRecord = { pid, launch: digest, workers: launch.spec.workers, startedAt: new Date().toISOString() };
  // Written by us rather than the child, so a stopNodes right after this call finds it.
  const tmp = `${files.pidFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(record)}\n`, { mode: 0o644 });
  fs.renameSync(tmp, files.pidFile);
  return record;
}

/**
 * Stops the lab's supervisor and waits until it is gone: it finishes a restart in flight first, so a
 * node it was bringing back is up (and stoppable) when this returns, never starting behind our back.
 */
export async function stopSupervisor(layout: Pick<LabLayout, 'clusterDir' | 'logsDir'>, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  const { pidFile } = supervisorFiles(layout);
  const record = runningSupervisor(layout);
  if (record) {
    signal(record.pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (isSupervisorOf(record.pid, layout.clusterDir)) {
      if (Date.now() > deadline) {
        signal(record.pid, 'SIGKILL');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  fs.rmSync(pidFile, { force: true });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
