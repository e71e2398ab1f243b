/**
 * `ha-drill`, `test` and `schedule` as a user types them: bad input is refused with one sentence and
 * exit 2 before Temporal is contacted; a lab that is not deployed is refused by the drill itself with
 * nothing touched; schedules are created once, listed and deleted through the CLI.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './runCli.js';

let dataDir: string;
beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-drill-cli-'));
  fs.chmodSync(dataDir, 0o755);
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** A closed port: should a check ever be missing, the command fails there instead of starting a server. */
const noTemporal = { TEMPORAL_ADDRESS: '127.0.0.1:9' };

test('ha-drill, test and schedule ha-drill show their options', async () => {
  const drill = await runCli(['ha-drill', '--help']);
  for (const option of ['--node', '--allow-coordinator', '--cadence-ms', '--duration-after-recovery-s', '--recovery-timeout']) {
    expect(drill.stdout).toContain(option);
  }
  const suite = await runCli(['test', '--help']);
  expect(suite.stdout).toContain('Usage: citus-lab test [options] <suite>');
  const schedule = await runCli(['schedule', 'ha-drill', '--help']);
  expect(schedule.stdout).toContain('--cron <expression>');
  expect(schedule.stdout).not.toContain('--no-follow');
});

test.each([
  [['ha-drill', '--node', 'worker-9'], 'citus-lab: lab "lab" has no node named "worker-9": use one of coordinator, worker-0, worker-1.'],
  [
    ['ha-drill', '--node', 'coordinator'],
    'citus-lab: drilling the coordinator takes the whole cluster down (every query goes through it): pass --allow-coordinator to do it anyway, or drill a worker (--node worker-0).',
  ],
  [['ha-drill'], 'citus-lab: --node is required: name the node to kill, e.g. --node worker-0.'],
  [['ha-drill', '--node', 'worker-0', '--cadence-ms', '5'], 'citus-lab: --cadence-ms must be between 10 and 10000, got 5.'],
  [
    ['ha-drill', '--node', 'worker-0', '--fault', 'destroy'],
    "citus-lab: --fault destroy deletes the node's data directory, which only a standby survives: use it on a lab deployed with --standbys 1 (give --standbys 1 to ha-drill too), or use --fault kill.",
  ],
  [['test', 'all', '--node', 'worker-3'], 'citus-lab: lab "lab" has no node named "worker-3": use one of coordinator, worker-0, worker-1.'],
  [
    ['schedule', 'ha-drill', '--node', 'worker-0', '--cron', '0 3 * * * *'],
    'citus-lab: cron "0 3 * * * *" has 6 fields: use five fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * *" for 03:00 every day.',
  ],
  [['schedule', 'ha-drill', '--node', 'coordinator', '--cron', '0 3 * * *'], 'citus-lab: drilling the coordinator takes the whole cluster down'],
  [['schedule', 'delete'], 'citus-lab: --node is required: name the drilled node whose schedule this is, e.g. --node worker-0.'],
])('%j is refused with exit 2 and nothing touched', async (args, message) => {
  const labDir = path.join(dataDir, 'refused');
  const run = await runCli([...args, '--data-dir', labDir], noTemporal);
  expect(run.code).toBe(2);
  expect(run.stderr.trim().startsWith(message)).toBe(true);
  expect(run.stdout).toBe('');
  expect(fs.existsSync(labDir)).toBe(false);
});

test('an unknown suite is refused by the argument parser', async () => {
  const run = await runCli(['test', 'everything'], noTemporal);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("Allowed choices are basic, complete, all.");
});

test('a drill on a lab that was never deployed is refused by the CLI, and the data dir stays untouched', async () => {
  const labDir = path.join(dataDir, 'not-deployed');
  fs.mkdirSync(labDir, { mode: 0o755 });
  const cluster = `nodeploy-${Date.now().toString(36)}`;
  const run = await runCli(['ha-drill', '--node', 'worker-0', '--cluster', cluster, '--data-dir', labDir], noTemporal);
  expect(run.code).toBe(2);
  expect(run.stderr).toBe(`citus-lab: no lab "${cluster}" is deployed in ${labDir}; run deploy first.\n`);
  expect(fs.readdirSync(labDir)).toEqual([]);
});

test('a drill on a lab whose nodes do not run is refused by the drill, which writes no report', async () => {
  const labDir = path.join(dataDir, 'stopped');
  const cluster = `stopped-${Date.now().toString(36)}`;
  fs.mkdirSync(path.join(labDir, cluster), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(labDir, cluster, 'lab.json'), '{"basePort": 15432}\n');
  const run = await runCli(['ha-drill', '--node', 'worker-0', '--cluster', cluster, '--data-dir', labDir]);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(
    `citus-lab: ha-drill-worker-0 of lab "${cluster}" failed (ConfigInvalid): lab ${cluster} (local) is not deployed (no node is running): run deploy first.`,
  );
  expect(fs.readdirSync(path.join(labDir, cluster))).toEqual(['lab.json']);
});

test('schedule ha-drill twice creates once; list shows it; delete removes it', async () => {
  const cluster = `cli-sched-${Date.now().toString(36)}`;
  const common = ['--cluster', cluster, '--data-dir', path.join(dataDir, 'sched')];
  const first = await runCli(['schedule', 'ha-drill', '--node', 'worker-1', '--cron', '0 3 * * *', ...common]);
  expect(first.code).toBe(0);
  const id = `citus-lab-local-${cluster}-ha-drill-worker-1`;
  expect(first.stdout).toContain(`Created schedule ${id}: HA drill of worker-1 in lab "${cluster}" (local) at "0 3 * * *" (UTC).`);
  expect(first.stdout).toMatch(/Next run: \d{4}-\d\d-\d\dT03:00:00/);

  const second = await runCli(['schedule', 'ha-drill', '--node', 'worker-1', '--cron', '0 3 * * *', '--json', ...common]);
  expect(second.code).toBe(0);
  expect(JSON.parse(second.stdout.trim())).toMatchObject({ scheduleId: id, action: 'unchanged', node: 'worker-1', cron: '0 3 * * *' });

  const list = await runCli(['schedule', 'list', '--json', ...common]);
  expect(list.code).toBe(0);
  expect(JSON.parse(list.stdout.trim())).toEqual([expect.objectContaining({ scheduleId: id, node: 'worker-1', cron: '0 3 * * *', paused: false })]);

  const deleted = await runCli(['schedule', 'delete', '--node', 'worker-1', ...common]);
  expect(deleted.stdout.trim()).toBe(`Deleted schedule ${id}.`);
  const again = await runCli(['schedule', 'delete', '--node', 'worker-1', ...common]);
  expect(again.code).toBe(0);
  expect(again.stdout.trim()).toBe(`No schedule ${id}: nothing to delete.`);

  const missing = await runCli(['schedule', 'trigger', '--node', 'worker-1', ...common]);
  expect(missing.code).toBe(2);
  expect(missing.stderr.trim()).toBe(`citus-lab: No schedule ${id}: create it first (citus-lab schedule ha-drill --node worker-1).`);
});
