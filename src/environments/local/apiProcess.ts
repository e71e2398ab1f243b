/**
 * The local lab's FHIR API as a process of its own: `citus-lab api serve` (src/cli.ts), detached so it
 * outlives the CLI or worker that started it, like the nodes. `<lab>/api.json` says the API is wanted
 * and how it listens (the supervisor restarts it from there); `<lab>/api.pid` names the live process;
 * `<lab>/logs/api.log` is its output. Nothing here imports src/api: the API is its own runtime.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { apiPortOf, labSpecSchema, type LabSpec } from '../../config/labSpec.js';
import { LabError } from '../../errors.js';
import type { LabLayout } from './labLayout.js';
import { withSpawnLock } from './spawnLock.js';
import { describePortHolder, isPortFree } from './ports.js';

/** Loopback only until the API has authentication (issue 9). */
export const API_HOST = '127.0.0.1';

const CLI = fileURLToPath(new URL(`../../cli${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url));
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const LOG_TAIL_LINES = 15;

export interface ApiLaunch {
  readonly spec: LabSpec;
  readonly host: string;
  readonly port: number;
}

export function apiFiles(layout: Pick<LabLayout, 'clusterDir' | 'logsDir'>) {
  return {
    /** The wanted state: present while the lab should have an API. */
    launchFile: path.join(layout.clusterDir, 'api.json'),
    pidFile: path.join(layout.clusterDir, 'api.pid'),
    logFile: path.join(layout.logsDir, 'api.log'),
  };
}

export function apiLaunchFor(spec: LabSpec): ApiLaunch {
  return { spec, host: API_HOST, port: apiPortOf(spec) };
}

export function apiUrl(launch: Pick<ApiLaunch, 'host' | 'port'>): string {
  return `http://${launch.host}:${launch.port}`;
}

/** The command line of the API process; its `--data-dir=`/`--cluster=` tokens tell it from any other process. */
export function apiArgs(launch: ApiLaunch): string[] {
  const { spec } = launch;
  return [
    'api',
    'serve',
    `--env=local`,
    `--cluster=${spec.cluster}`,
    `--data-dir=${spec.dataDir}`,
    `--base-port=${spec.basePort}`,
    `--workers=${spec.workers}`,
    `--database=${spec.database}`,
    `--api-port=${launch.port}`,
  ];
}

export function readApiLaunch(layout: Pick<LabLayout, 'clusterDir' | 'logsDir'>): ApiLaunch | undefined {
  try {
    const raw = JSON.parse(fs.readFileSync(apiFiles(layout).launchFile, 'utf8')) as Partial<ApiLaunch>;
    if (typeof raw.port !== 'number' || typeof raw.host !== 'string') return undefined;
    return { spec: labSpecSchema.parse(raw.spec), host: raw.host, port: raw.port };
  } catch {
    return undefined;
  }
}

function writeAtomically(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value)}\n`, { mode: 0o644 });
  fs.renameSync(tmp, file);
}

/** True when `pid` is a live `api serve` of this lab (not a zombie, not a reused pid). */
export function isApiOf(pid: number, spec: Pick<LabSpec, 'dataDir' | 'cluster'>): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('serve') && argv.includes(`--data-dir=${spec.dataDir}`) && argv.includes(`--cluster=${spec.cluster}`);
  } catch {
    return false;
  }
}

export interface RunningApi {
  readonly pid: number;
  readonly port: number;
  readonly startedAt: string;
}

/** The lab's live API process, if one runs. */
export function runningApi(layout: Pick<LabLayout, 'clusterDir' | 'logsDir'>, spec: Pick<LabSpec, 'dataDir' | 'cluster'>): RunningApi | undefined {
  try {
    const raw = JSON.parse(fs.readFileSync(apiFiles(layout).pidFile, 'utf8')) as Partial<RunningApi>;
    if (typeof raw.pid !== 'number' || typeof raw.port !== 'number') return undefined;
    return isApiOf(raw.pid, spec) ? { pid: raw.pid, port: raw.port, startedAt: String(raw.startedAt ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/** Records that the lab wants its API, listening as `launch` says; the supervisor restarts it from this. */
export function wantApi(layout: LabLayout, launch: ApiLaunch): void {
  writeAtomically(apiFiles(layout).launchFile, launch);
}

/** Node arguments that run this TypeScript checkout the way we run (tsx), or plain JS once built. */
function loaderArgs(): string[] {
  if (!CLI.endsWith('.ts')) return [];
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}

async function answersHealth(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function logTail(file: string): string {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return lines.slice(-LOG_TAIL_LINES).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the API process unless it runs with this launch; one on another port is replaced. Resolves
 * once `/health` answers (the process is up; `/ready` also needs the database). A port held by some
 * other process is a PortInUse; a process that exits while starting is a CommandFailed with its log.
 */
export async function ensureApiProcess(layout: LabLayout, launch: ApiLaunch, timeoutMs = START_TIMEOUT_MS): Promise<{ pid: number; started: boolean }> {
  // The supervisor and a deploy may both find the API down at once: one starts it, the other then finds it running.
  return withSpawnLock(path.join(layout.clusterDir, 'api.lock'), timeoutMs + STOP_TIMEOUT_MS, () => startUnlocked(layout, launch, timeoutMs));
}

/** PortInUse naming the holder, unless the launch's port is free (the lab's own running API holds it: check first). */
export async function assertApiPortFree(launch: ApiLaunch): Promise<void> {
  if (await isPortFree(launch.port)) return;
  throw new LabError(
    'PortInUse',
    `Port ${launch.port} (for the API of lab "${launch.spec.cluster}") is already in use by ` +
      `${describePortHolder(launch.port) ?? 'another process'}: stop it, or choose another port with --api-port.`,
    { details: { port: launch.port, node: 'api' } },
  );
}

async function startUnlocked(layout: LabLayout, launch: ApiLaunch, timeoutMs: number): Promise<{ pid: number; started: boolean }> {
  const files = apiFiles(layout);
  const current = runningApi(layout, launch.spec);
  if (current?.port === launch.port) return { pid: current.pid, started: false };
  if (current) await stopApiProcess(layout, launch.spec);
  await assertApiPortFree(launch);

  fs.mkdirSync(layout.logsDir, { recursive: true });
  const log = fs.openSync(files.logFile, 'a', 0o644);
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // a test runner's flags are not the API's business
  let child;
  try {
    child = spawn(process.execPath, [...loaderArgs(), CLI, ...apiArgs(launch)], {
      detached: true,
      stdio: ['ignore', log, log],
      cwd: layout.clusterDir,
      env,
    });
  } finally {
    fs.closeSync(log);
  }
  const pid = child.pid;
  if (pid === undefined) {
    throw new LabError('CommandFailed', `Could not start the API of lab "${launch.spec.cluster}" (see ${files.logFile}).`);
  }
  let exit: string | undefined;
  child.once('exit', (code, sig) => (exit = sig ? `signal ${sig}` : `exit code ${code}`));
  child.unref();
  writeAtomically(files.pidFile, { pid, port: launch.port, startedAt: new Date().toISOString() });

  const url = apiUrl(launch);
  const deadline = Date.now() + timeoutMs;
  while (!(await answersHealth(url))) {
    if (exit !== undefined || Date.now() > deadline) {
      if (exit === undefined) signal(pid, 'SIGKILL');
      fs.rmSync(files.pidFile, { force: true });
      const why = exit ?? `no answer on ${url}/health within ${Math.round(timeoutMs / 1000)} s`;
      throw new LabError('CommandFailed', `The API of lab "${launch.spec.cluster}" did not start (${why}). Last lines of ${files.logFile}:\n${logTail(files.logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { pid, started: true };
}

/** SIGTERM (the server closes within seconds), SIGKILL after 10 s; forgets that the API is wanted. */
export async function stopApiProcess(layout: LabLayout | Pick<LabLayout, 'clusterDir' | 'logsDir'>, spec: Pick<LabSpec, 'dataDir' | 'cluster'>, options: { forget?: boolean } = {}): Promise<void> {
  const files = apiFiles(layout);
  if (options.forget) fs.rmSync(files.launchFile, { force: true });
  const current = runningApi(layout, spec);
  if (current) {
    signal(current.pid, 'SIGTERM');
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (isApiOf(current.pid, spec)) {
      if (Date.now() > deadline) {
        signal(current.pid, 'SIGKILL');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  fs.rmSync(files.pidFile, { force: true });
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
