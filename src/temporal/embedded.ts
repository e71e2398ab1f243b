/**
 * The embedded default: with no Temporal address given, the lab uses 127.0.0.1:7233, and when nothing
 * answers there it starts `temporal server start-dev` itself (detached, history in SQLite under the
 * data dir) so a run survives the CLI that started it. An address the user gave is never replaced.
 */
import path from 'node:path';
import { ensureDir } from '../config/dataDir.js';
import { LabError } from '../errors.js';
import { portAnswers, splitAddress, startDevServer, temporalAnswers } from './devServer.js';
import { liveDevServer, writeDevServerRecord } from './devServerPidFile.js';

export const DEFAULT_NAMESPACE = 'default';
const DEFAULT_TEMPORAL_PORT = 7233;
const DEFAULT_UI_PORT = 8233;
const START_TIMEOUT_MS = 90_000;
/**
 * A given server that accepts connections but misses one 2 s health check is slow, not gone (seen on 2
 * cores at load 25+, where a test's drain failed on it): it gets this long before it counts as unreachable.
 */
const LISTENING_GRACE_MS = 30_000;

/** `127.0.0.1:7233`; CITUS_LAB_TEMPORAL_PORT moves it (tests, or a machine where 7233 is taken). */
export function defaultTemporalAddress(env: NodeJS.ProcessEnv = process.env): string {
  return `127.0.0.1:${portFromEnv(env, 'CITUS_LAB_TEMPORAL_PORT', DEFAULT_TEMPORAL_PORT)}`;
}

export function embeddedUiPort(env: NodeJS.ProcessEnv = process.env): number {
  return portFromEnv(env, 'CITUS_LAB_UI_PORT', DEFAULT_UI_PORT);
}

/** Base of Web UI links; CITUS_LAB_UI_URL points them at another UI (a shared server's). */
export function uiBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.CITUS_LAB_UI_URL ?? `http://127.0.0.1:${embeddedUiPort(env)}`).replace(/\/+$/, '');
}

export function workflowUiUrl(namespace: string, workflowId: string, runId: string, env: NodeJS.ProcessEnv = process.env): string {
  const ns = encodeURIComponent(namespace);
  return `${uiBaseUrl(env)}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

export function embeddedServerFiles(dataDir: string) {
  const dir = path.join(dataDir, 'temporal');
  return {
    dir,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'server.log'),
    pidFile: path.join(dir, 'server.pid'),
  };
}

export interface TemporalRequest {
  /** Given by the user (flag or TEMPORAL_ADDRESS); absent means the embedded default. */
  explicit?: { address: string; from: '--temporal-address' | 'TEMPORAL_ADDRESS' };
  dataDir: string;
  namespace: string;
  /** Info lines (stderr in the CLI). */
  log(line: string): void;
  env?: NodeJS.ProcessEnv;
  /** How long a given address that accepts connections may take to answer (default LISTENING_GRACE_MS). */
  listeningGraceMs?: number;
}

export interface ReadyTemporal {
  address: string;
  /** Set when the server is the lab's own dev server. */
  devServerPid?: number;
  startedNow: boolean;
}

export async function ensureTemporalServer(request: TemporalRequest): Promise<ReadyTemporal> {
  const env = request.env ?? process.env;
  if (request.explicit) {
    const { address, from } = request.explicit;
    if (await temporalAnswers(address)) return { address, startedNow: false };
    // Nothing listening fails at once; a listener that is slow to answer gets LISTENING_GRACE_MS.
    const { host, port } = splitAddress(address);
    if ((await portAnswers(host, port)) && (await answersWithin(address, request.listeningGraceMs ?? LISTENING_GRACE_MS))) return { address, startedNow: false };
    const drop = from === 'TEMPORAL_ADDRESS' ? 'unset TEMPORAL_ADDRESS' : 'drop --temporal-address';
    throw new LabError(
      'TemporalUnreachable',
      `Temporal server at ${address} does not answer: start it (npm run temporal:dev) or ${drop} to use the embedded dev server.`,
    );
  }

  const address = defaultTemporalAddress(env);
  const files = embeddedServerFiles(request.dataDir);
  const ours = () => {
    const record = liveDevServer(files.pidFile);
    return record && record.address === address ? record : undefined;
  };

  if (await temporalAnswers(address)) {
    const record = ours();
    request.log(
      record
        ? `Using the lab's Temporal dev server at ${address} (pid ${record.pid}).`
        : `Using the Temporal server at ${address}.`,
    );
    return { address, devServerPid: record?.pid, startedNow: false };
  }

  // Our server may still be coming up (another CLI run just started it): wait for it, do not start a second.
  const starting = ours();
  if (starting) {
    if (await answersWithin(address, START_TIMEOUT_MS)) return { address, devServerPid: starting.pid, startedNow: false };
    throw new LabError(
      'TemporalUnreachable',
      `The lab's Temporal dev server (pid ${starting.pid}) runs but does not answer at ${address}: see ${files.logFile}, stop it (kill ${starting.pid}) and run the command again.`,
    );
  }

  const uiPort = embeddedUiPort(env);
  // Step by step (config/dataDir.ts): a recursive mkdir into a pseudo file system never returns.
  ensureDir(files.dir);
  let pid: number;
  try {
    const server = await startDevServer({
      address,
      uiPort,
      dbFile: files.dbFile,
      logFile: files.logFile,
      namespace: request.namespace,
      startTimeoutMs: START_TIMEOUT_MS,
    });
    pid = server.pid;
  } catch (err) {
    // Lost a race with a concurrent run that bound the port first: its server is as good as ours.
    if (await temporalAnswers(address)) return { address, startedNow: false };
    throw err;
  }
  writeDevServerRecord(files.pidFile, { pid, address, uiPort, dbFile: files.dbFile, startedAt: new Date().toISOString() });
  request.log(
    `Started Temporal dev server (pid ${pid}), UI http://127.0.0.1:${uiPort} — it keeps running; history persisted in ${files.dbFile}`,
  );
  return { address, devServerPid: pid, startedNow: true };
}

async function answersWithin(address: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await temporalAnswers(address, 1000)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

function portFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new LabError('ConfigInvalid', `${name} must be a port number (1-65535), got ${JSON.stringify(text)}.`);
  }
  return port;
}
