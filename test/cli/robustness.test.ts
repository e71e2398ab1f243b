/**
 * Issue 11, as a new user met it: a data dir the lab cannot use, two labs' CLIs at once, signals while
 * an activity is stuck, a command for a lab that does not exist, and a run of another data dir under
 * the same workflow id. Real CLI processes against the real dev server from jest's global setup;
 * where the lab's own workflows would need Citus, labFixtureCli.ts runs stand-ins under their names.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { parseLabSpec } from '../../src/config/labSpec.js';
import { TASK_QUEUE, labWorkflowId } from '../../src/workflows/inputs.js';
import { until } from '../support/polling.js';
import { temporalAddress } from '../support/temporal.js';
import { runCli, startProcess, type RunningProcess } from './runCli.js';

const labFixtureCli = fileURLToPath(new URL('../fixtures/cli/labFixtureCli.ts', import.meta.url));

let root: string;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-robust-'));
  connection = await Connection.connect({ address: temporalAddress() });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function freshDir(name: string): string {
  return fs.mkdtempSync(path.join(root, `${name}-`));
}

function cluster(prefix: string): string {
  return `${prefix}${randomUUID().slice(0, 8)}`;
}

/** What `deploy` leaves behind that the CLI looks for: the lab's directory and its lab.json. */
function markDeployed(dataDir: string, name: string): void {
  fs.mkdirSync(path.join(dataDir, name), { recursive: true });
  fs.writeFileSync(path.join(dataDir, name, 'lab.json'), '{"basePort": 15432}\n');
}

function lastJson(text: string): unknown {
  return JSON.parse(text.trim().split('\n').at(-1) ?? 'null');
}

async function notStarted(workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return false;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return true;
    throw err;
  }
}

async function exitWithin(proc: RunningProcess, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const outcome = await Promise.race([proc.exited, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') throw new Error(`still running after ${ms} ms:\n${proc.stderr()}`);
  return outcome;
}

function killTree(proc: RunningProcess): void {
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    try {
      process.kill(-(proc.child.pid ?? 0), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

describe('1. a data dir the lab cannot use is refused at once, before Temporal is contacted', () => {
  const file = () => {
    const dir = freshDir('file');
    const p = path.join(dir, 'a-file');
    fs.writeFileSync(p, '');
    return p;
  };
  test.each([
    ['/proc/nope', () => '/proc/nope', 'it is on /proc, a kernel pseudo file system that cannot hold files'],
    ['/sys/nope/labs', () => '/sys/nope/labs', 'it is on /sys, a kernel pseudo file system that cannot hold files'],
    ['a regular file', file, 'is not a directory'],
    ['a dir below a regular file', () => path.join(file(), 'labs'), 'is not a directory'],
  ])('deploy --data-dir %s: one sentence, exit 2, no workflow', async (_what, dataDirOf, reason) => {
    const dataDir = dataDirOf();
    const name = cluster('dd');
    const started = Date.now();
    const run = await runCli(['deploy', '--cluster', name, '--data-dir', dataDir]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^citus-lab: The data dir ${dataDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} cannot be used: .*; choose another --data-dir\\.$`));
    expect(lines[0]).toContain(reason);
    expect(run.stdout).toBe('');
    await expect(notStarted(labWorkflowId({ env: 'local', cluster: name }, 'deploy'))).resolves.toBe(true);
  });
});

describe('2. two CLIs for two labs at once', () => {
  test('each serves only its own lab and exits as soon as its own run ends', async () => {
    const slow = { name: cluster('slow'), dataDir: freshDir('slow') };
    const fast = { name: cluster('fast'), dataDir: freshDir('fast') };
    markDeployed(slow.dataDir, slow.name);
    markDeployed(fast.dataDir, fast.name);
    // Activities last `--patients` ms in the fixture: 8 of 6 s for one lab, 8 of 0.2 s for the other.
    const a = startProcess(labFixtureCli, ['verify', '--json', '--cluster', slow.name, '--data-dir', slow.dataDir, '--patients', '6000']);
    const b = startProcess(labFixtureCli, ['verify', '--json', '--cluster', fast.name, '--data-dir', fast.dataDir, '--patients', '200']);
    const exitedAt = new Map<RunningProcess, number>();
    for (const p of [a, b]) void p.exited.then(() => exitedAt.set(p, Date.now()));
    try {
      await expect(exitWithin(b, 90_000)).resolves.toBe(0);
      await expect(exitWithin(a, 90_000)).resolves.toBe(0);
    } finally {
      killTree(a);
      killTree(b);
    }
    expect(lastJson(a.stdout())).toEqual({ status: 'PASS', cluster: slow.name, done: 8 });
    expect(lastJson(b.stdout())).toEqual({ status: 'PASS', cluster: fast.name, done: 8 });

    for (const [proc, lab] of [
      [a, slow],
      [b, fast],
    ] as const) {
      const handle = client.workflow.getHandle(labWorkflowId({ env: 'local', cluster: lab.name }, 'verify'));
      const description = await handle.describe();
      expect(description.taskQueue).toBe(`citus-lab-local-${lab.name}`);
      const closedAt = description.closeTime?.getTime() ?? NaN;
      // "As soon as": the final query, the worker's shutdown and closing connections, nothing else.
      expect((exitedAt.get(proc) ?? Infinity) - closedAt).toBeLessThan(5_000);
      // Every activity of this lab's run ran in this lab's CLI process.
      const history = await handle.fetchHistory();
      const identities = (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.identity ?? ''] : []));
      expect(identities).toHaveLength(8);
      for (const identity of identities) expect(identity.startsWith(`${proc.child.pid}@`)).toBe(true);
    }
    // The fast lab's CLI did not wait for the slow lab's run.
    const slowClosed = (await client.workflow.getHandle(labWorkflowId({ env: 'local', cluster: slow.name }, 'verify')).describe()).closeTime;
    expect(exitedAt.get(b) ?? Infinity).toBeLessThan(slowClosed?.getTime() ?? 0);
  }, 150_000);
});

describe('3. signals end the CLI within 10 s, also with a stuck activity', () => {
  test.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s while every activity is stuck: exit %i, the run goes on in Temporal', async (signal, code) => {
    const name = cluster('stuck');
    const dataDir = freshDir('stuck');
    markDeployed(dataDir, name);
    const cli = startProcess(labFixtureCli, ['verify', '--cluster', name, '--data-dir', dataDir, '--patients', '100000']);
    const workflowId = labWorkflowId({ env: 'local', cluster: name }, 'verify');
    try {
      await cli.waitForStderr(/step 2\/2 work started/, 90_000);
      // Started events reach the history only when an attempt ends: ask for the pending ones.
      await until('the stuck activities to start', async () => {
        const { raw } = await client.workflow.getHandle(workflowId).describe();
        return (raw.pendingActivities ?? []).filter((a) => Number(a.state) === 2 /* PENDING_ACTIVITY_STATE_STARTED */).length === 8;
      });
      const sentAt = Date.now();
      process.kill(cli.child.pid ?? 0, signal);
      await expect(exitWithin(cli, 10_000)).resolves.toBe(code);
      expect(Date.now() - sentAt).toBeLessThan(10_000);
    } finally {
      killTree(cli);
    }
    expect(cli.stderr()).toMatch(
      new RegExp(`citus-lab: Stopped following; workflow ${workflowId} keeps running on the Temporal server: run the same command again to attach, or watch http:\\S+\\.`),
    );
    const handle = client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test cleanup');
  }, 150_000);

  test('SIGTERM to the process group with a healthy activity in flight ends it at once; the same command resumes the run', async () => {
    const name = cluster('healthy');
    const dataDir = freshDir('healthy');
    markDeployed(dataDir, name);
    const args = ['verify', '--json', '--cluster', name, '--data-dir', dataDir, '--patients', '30000'];
    const workflowId = labWorkflowId({ env: 'local', cluster: name }, 'verify');
    const first = startProcess(labFixtureCli, args);
    let runId: string;
    try {
      await first.waitForStderr(/step 2\/2 work started/, 90_000);
      runId = /Started workflow \S+ \(run (\S+)\)/.exec(first.stderr())?.[1] ?? '';
      process.kill(-(first.child.pid ?? 0), 'SIGTERM');
      await expect(exitWithin(first, 3_000)).resolves.toBe(143);
    } finally {
      killTree(first);
    }
    const again = startProcess(labFixtureCli, args);
    try {
      await expect(exitWithin(again, 90_000)).resolves.toBe(0);
    } finally {
      killTree(again);
    }
    expect(again.stderr()).toContain(`Attached to running workflow ${workflowId} (run ${runId})`);
    expect(lastJson(again.stdout())).toEqual({ status: 'PASS', cluster: name, done: 8 });
  }, 150_000);
});

describe('4. a command for a lab that does not exist', () => {
  /** Should the check ever be missing, the run fails on this closed address instead of starting anything. */
  const noTemporal = { TEMPORAL_ADDRESS: '127.0.0.1:9' };
  test.each([
    [['verify']],
    [['status']],
    [['drain', '--node', 'worker-0']],
    [['rebalance']],
    [['ha-drill', '--node', 'worker-0']],
    [['test', 'basic']],
    [['cleanup']],
    [['register-workers']],
  ])('%j: one sentence, exit 2, nothing created', async (command) => {
    const dataDir = freshDir('empty');
    const run = await runCli([...command, '--cluster', 'ghost', '--data-dir', dataDir], noTemporal);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`citus-lab: no lab "ghost" is deployed in ${dataDir}; run deploy first.\n`);
    expect(run.stdout).toBe('');
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  test('--json: the typed error is the last line', async () => {
    const dataDir = freshDir('empty-json');
    const run = await runCli(['verify', '--json', '--cluster', 'ghost', '--data-dir', dataDir], noTemporal);
    expect(run.code).toBe(2);
    expect(lastJson(run.stdout)).toEqual({
      error: { type: 'LabNotDeployed', message: `no lab "ghost" is deployed in ${dataDir}; run deploy first` },
    });
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });
});

describe('5. attach only to a run of the same lab', () => {
  test('an open run of the same cluster in another data dir is refused, naming it and its data dir', async () => {
    const name = cluster('twin');
    const ours = freshDir('ours');
    const theirs = freshDir('theirs');
    markDeployed(ours, name);
    markDeployed(theirs, name);
    const workflowId = labWorkflowId({ env: 'local', cluster: name }, 'verify');

    // Their run, open and unserved (--no-follow starts no worker).
    const start = await runCli(['verify', '--no-follow', '--json', '--cluster', name, '--data-dir', theirs]);
    expect(start.code).toBe(0);
    const { runId } = lastJson(start.stdout) as { runId: string };

    const run = await runCli(['verify', '--json', '--cluster', name, '--data-dir', ours]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `citus-lab: workflow ${workflowId} (run ${runId}) is open for lab "${name}" (local) in ${theirs}, not in ${ours}: ` +
        `wait for it to end (or run the command with --data-dir ${theirs} to attach to it), then run the command again.`,
    );
    expect((lastJson(run.stdout) as { error: { type: string } }).error.type).toBe('RunOfAnotherLab');
    // Their run was left alone.
    const handle = client.workflow.getHandle(workflowId, runId);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test cleanup');
  }, 120_000);

  test('a run started before the memo named the data dir is checked through its input', async () => {
    const name = cluster('legacy');
    const ours = freshDir('ours');
    const theirs = freshDir('theirs');
    markDeployed(ours, name);
    const workflowId = labWorkflowId({ env: 'local', cluster: name }, 'status');
    // What an older CLI started: the shared task queue, a memo without the data dir.
    const legacy = await client.workflow.start('labStatus', {
      workflowId,
      taskQueue: TASK_QUEUE,
      args: [{ spec: parseLabSpec({ cluster: name, dataDir: theirs }) }],
      memo: { env: 'local', cluster: name, command: 'status' },
    });
    try {
      const run = await runCli(['status', '--cluster', name, '--data-dir', ours], { TEMPORAL_ADDRESS: temporalAddress() });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`is open for lab "${name}" (local) in ${theirs}, not in ${ours}`);
    } finally {
      await legacy.terminate('test cleanup');
    }
  }, 120_000);
});
