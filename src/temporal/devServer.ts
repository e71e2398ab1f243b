/**
 * Starts and stops `temporal server start-dev`: the embedded default for users, and the real server
 * every test talks to. The server is a detached process so a killed CLI does not take it along; its
 * history lives in a SQLite file, so a restarted server still knows every run.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { LabError } from '../errors.js';
import { devServerTuningArgs } from './devServerTuning.js';
import { LAB_SEARCH_ATTRIBUTES } from './searchAttributes.js';
import { findTemporalBinary } from './temporalBinary.js';

export interface DevServerOptions {
  /** host:port for the frontend (gRPC). */
  address: string;
  uiPort?: number;
  /** SQLite file that persists history; omitted means in-memory. */
  dbFile?: string;
  logFile: string;
  namespace?: string;
  headless?: boolean;
  /** How long to wait for the server to answer. */
  startTimeoutMs?: number;
}

export interface DevServerHandle {
  pid: number;
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

export function splitAddress(address: string): { host: string; port: number } {
  const idx = address.lastIndexOf(':');
  const port = Number(address.slice(idx + 1));
  if (idx <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new LabError('ConfigInvalid', `Temporal address ${JSON.stringify(address)} is not host:port.`);
  }
  return { host: address.slice(0, idx), port };
}

/** True when something accepts TCP connections at host:port (cheaper than a gRPC handshake). */
export function portAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when a Temporal frontend answers a health check at the address. */
export async function temporalAnswers(address: string, timeoutMs = 2000): Promise<boolean> {
  const { host, port } = splitAddress(address);
  if (!(await portAnswers(host, port, timeoutMs))) return false;
  try {
    const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    try {
      await connection.healthService.check({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

/** The `temporal server start-dev` arguments; shared with the foreground runner (`npm run temporal:dev`). */
export function devServerArgs(options: Omit<DevServerOptions, 'logFile'>): string[] {
  const { host, port } = splitAddress(options.address);
  const args = ['server', 'start-dev', '--ip', host, '--port', String(port), '--log-level', 'warn'];
  args.push('--namespace', options.namespace ?? 'default');
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  if (options.headless || options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort), '--ui-ip', host);
  for (const key of LAB_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=Keyword`);
  args.push(...devServerTuningArgs({ persistent: options.dbFile !== undefined }));
  return args;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServerHandle> {
  const binary = findTemporalBinary();
  const { host } = splitAddress(options.address);
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const args = devServerArgs(options);

  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(binary, args, { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new LabError('TemporalUnreachable', `Could not start ${binary}.`);

  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (exited !== null) {
      throw new LabError(
        'TemporalUnreachable',
        `temporal server start-dev exited with code ${exited} before answering; see ${options.logFile}.`,
      );
    }
    if (await temporalAnswers(options.address, 1000)) {
      return {
        pid,
        address: options.address,
        uiUrl: options.headless || options.uiPort === undefined ? undefined : `http://${host}:${options.uiPort}`,
        stop: () => stopProcess(pid),
      };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stopProcess(pid);
  throw new LabError(
    'TemporalUnreachable',
    `temporal server start-dev did not answer at ${options.address} within ${(options.startTimeoutMs ?? 60_000) / 1000}s; see ${options.logFile}.`,
  );
}

export async function stopProcess(pid: number, graceMs = 5000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone between the check and the kill
  }
}

/** Asks the OS for a free loopback port. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
