/**
 * The embedded default: with no address given the CLI starts its own dev server (detached, so it
 * outlives the CLI), records it in a pid file, and a later run reuses it and attaches to open runs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../../src/errors.js';
import { freePort, stopProcess, temporalAnswers } from '../../src/temporal/devServer.js';
import { liveDevServer, readDevServerRecord, writeDevServerRecord } from '../../src/temporal/devServerPidFile.js';
import {
  defaultTemporalAddress,
  embeddedServerFiles,
  ensureTemporalServer,
  uiBaseUrl,
  workflowUiUrl,
} from '../../src/temporal/embedded.js';
import { runCli } from '../cli/runCli.js';

let dataDir: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-embedded-'));
  // `status` acts only on a deployed lab: give it the marker file a deploy writes.
  fs.mkdirSync(path.join(dataDir, 'embedded'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'embedded', 'lab.json'), '{"basePort": 15432}\n');
});

afterAll(async () => {
  const record = readDevServerRecord(embeddedServerFiles(dataDir).pidFile);
  if (record) await stopProcess(record.pid);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function deadPid(): number {
  const child = spawnSync('true');
  return child.pid ?? 999_999;
}

test('with no address the CLI starts a dev server that outlives it, and the next run reuses it and attaches', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const files = embeddedServerFiles(dataDir);
  // A stale record (its process is gone) must not make the CLI wait for a server that never comes.
  writeDevServerRecord(files.pidFile, { pid: deadPid(), address: `127.0.0.1:${port}`, dbFile: files.dbFile, startedAt: 'then' });
  const env = { TEMPORAL_ADDRESS: undefined, CITUS_LAB_TEMPORAL_PORT: String(port), CITUS_LAB_UI_PORT: String(uiPort) };
  const args = ['status', '--no-follow', '--json', '--cluster', 'embedded', '--data-dir', dataDir];

  const first = await runCli(args, env);
  expect(first.stderr).toMatch(/Started Temporal dev server \(pid \d+\), UI http:\/\/127\.0\.0\.1:\d+ — it keeps running; history persisted in /);
  expect(first.code).toBe(0);
  const pid = Number(/pid (\d+)/.exec(first.stderr)?.[1]);
  expect(first.stderr).toContain(`UI http://127.0.0.1:${uiPort} `);
  expect(first.stderr).toContain(`history persisted in ${files.dbFile}`);
  expect(readDevServerRecord(files.pidFile)).toMatchObject({ pid, address: `127.0.0.1:${port}`, uiPort });
  expect(liveDevServer(files.pidFile)?.pid).toBe(pid);
  expect(fs.existsSync(files.dbFile)).toBe(true);
  const started = JSON.parse(first.stdout.trim().split('\n').at(-1) ?? '') as { workflowId: string; runId: string };
  expect(started.workflowId).toBe('citus-lab-local-embedded-status');
  expect(first.stderr).toContain(`http://127.0.0.1:${uiPort}/namespaces/default/workflows/${started.workflowId}/${started.runId}/history`);

  // The CLI has exited; its server has not.
  expect(await temporalAnswers(`127.0.0.1:${port}`)).toBe(true);

  const second = await runCli(args, env);
  expect(second.code).toBe(0);
  expect(second.stderr).toContain(`Using the lab's Temporal dev server at 127.0.0.1:${port} (pid ${pid}).`);
  expect(second.stderr).not.toContain('Started Temporal dev server');
  expect(second.stderr).toContain(`Attached to running workflow ${started.workflowId} (run ${started.runId})`);
  expect(JSON.parse(second.stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({ runId: started.runId, attached: true });
});

test('an explicit address that does not answer is an error, never replaced by the embedded server', async () => {
  const port = await freePort();
  const lines: string[] = [];
  const attempt = ensureTemporalServer({
    explicit: { address: `127.0.0.1:${port}`, from: '--temporal-address' },
    dataDir: path.join(dataDir, 'explicit'),
    namespace: 'default',
    log: (line) => lines.push(line),
  });
  await expect(attempt).rejects.toThrow(LabError);
  await expect(attempt).rejects.toThrow(`Temporal server at 127.0.0.1:${port} does not answer`);
  expect(fs.existsSync(path.join(dataDir, 'explicit'))).toBe(false);
  expect(lines).toEqual([]);
});

test('an explicit address that accepts connections but never answers is retried, then an error', async () => {
  // A listener that takes connections and says nothing: slow or not Temporal at all.
  const sockets: net.Socket[] = [];
  const listener = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const { port } = listener.address() as net.AddressInfo;
  try {
    const attempt = ensureTemporalServer({
      explicit: { address: `127.0.0.1:${port}`, from: 'TEMPORAL_ADDRESS' },
      dataDir: path.join(dataDir, 'silent'),
      namespace: 'default',
      log: () => {},
      listeningGraceMs: 3000,
    });
    await expect(attempt).rejects.toThrow(`Temporal server at 127.0.0.1:${port} does not answer: start it (npm run temporal:dev) or unset TEMPORAL_ADDRESS`);
    // More than the first check's connections: the grace period asked again.
    expect(sockets.length).toBeGreaterThan(2);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => listener.close(resolve));
  }
});

test('a server already answering at the default address is used as it is', async () => {
  const address = process.env.TEMPORAL_ADDRESS ?? '';
  const port = address.split(':')[1];
  const lines: string[] = [];
  const ready = await ensureTemporalServer({
    dataDir: path.join(dataDir, 'foreign'),
    namespace: 'default',
    log: (line) => lines.push(line),
    env: { CITUS_LAB_TEMPORAL_PORT: port },
  });
  expect(ready).toEqual({ address: `127.0.0.1:${port}`, devServerPid: undefined, startedNow: false });
  expect(lines).toEqual([`Using the Temporal server at 127.0.0.1:${port}.`]);
  expect(fs.existsSync(embeddedServerFiles(path.join(dataDir, 'foreign')).pidFile)).toBe(false);
});

test('addresses and Web UI links', () => {
  expect(defaultTemporalAddress({})).toBe('127.0.0.1:7233');
  expect(defaultTemporalAddress({ CITUS_LAB_TEMPORAL_PORT: '17233' })).toBe('127.0.0.1:17233');
  expect(() => defaultTemporalAddress({ CITUS_LAB_TEMPORAL_PORT: '72x' })).toThrow('CITUS_LAB_TEMPORAL_PORT must be a port number');
  expect(uiBaseUrl({})).toBe('http://127.0.0.1:8233');
  expect(uiBaseUrl({ CITUS_LAB_UI_URL: 'https://temporal.example/' })).toBe('https://temporal.example');
  expect(workflowUiUrl('default', 'citus-lab-local-lab-deploy', 'r1', {})).toBe(
    'http://127.0.0.1:8233/namespaces/default/workflows/citus-lab-local-lab-deploy/r1/history',
  );
});

test('a pid file naming a dead or foreign process is not ours', () => {
  const pidFile = path.join(dataDir, 'pids', 'server.pid');
  expect(liveDevServer(pidFile)).toBeUndefined();
  writeDevServerRecord(pidFile, { pid: deadPid(), address: 'x:1', dbFile: 'db', startedAt: 'now' });
  expect(liveDevServer(pidFile)).toBeUndefined();
  // This jest process is alive but is no Temporal server.
  writeDevServerRecord(pidFile, { pid: process.pid, address: 'x:1', dbFile: 'db', startedAt: 'now' });
  expect(liveDevServer(pidFile)).toBeUndefined();
  fs.writeFileSync(pidFile, 'not json');
  expect(readDevServerRecord(pidFile)).toBeUndefined();
});
