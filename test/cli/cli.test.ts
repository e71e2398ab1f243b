/** The CLI as a user meets it: help, and refusing bad input with one sentence and the right exit code. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/temporal/devServer.js';
import { runCli } from './runCli.js';

const COMMANDS = ['deploy', 'register-workers', 'verify', 'status', 'cleanup'];
let dataDir: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-cli-'));
  // Labs the CLI takes as deployed (their marker file), for the tests that must get past that check.
  for (const dir of ['ns', 'closed']) {
    fs.mkdirSync(path.join(dataDir, dir, 'lab'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, dir, 'lab', 'lab.json'), '{"basePort": 15432}\n');
  }
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/**
 * Bad input must be refused before any Temporal work. Should a check ever be missing, the run hits
 * this closed explicit address and fails there, rather than starting an embedded server.
 */
const noTemporal = { TEMPORAL_ADDRESS: '127.0.0.1:9' };

test('--help lists every command', async () => {
  const run = await runCli(['--help']);
  expect(run.code).toBe(0);
  for (const command of COMMANDS) expect(run.stdout).toContain(command);
});

test.each(COMMANDS)('%s --help shows the common options with their environment twins', async (command) => {
  const run = await runCli([command, '--help']);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`Usage: citus-lab ${command}`);
  for (const option of ['--env', '--cluster', '--workers', '--base-port', '--data-dir', '--json', '--temporal-address', '--no-follow']) {
    expect(run.stdout).toContain(option);
  }
  expect(run.stdout).toContain('CITUS_LAB_WORKERS');
  expect(run.stdout.includes('--patients')).toBe(command === 'deploy' || command === 'verify');
  expect(run.stdout.includes('--ready-timeout')).toBe(command === 'deploy');
  expect(run.stdout.includes('--volumes')).toBe(command === 'cleanup');
});

test('an unknown environment is refused with exit 2 and nothing is created', async () => {
  const labDir = path.join(dataDir, 'unknown-env');
  const run = await runCli(['deploy', '--env', 'mars', '--data-dir', labDir], noTemporal);
  expect(run.code).toBe(2);
  expect(run.stderr.trim()).toBe('citus-lab: unknown environment "mars": use one of local, compose, minikube.');
  expect(run.stdout).toBe('');
  expect(fs.existsSync(labDir)).toBe(false);
});

test('--json puts the error object on the last line of stdout', async () => {
  const run = await runCli(['status', '--json', '--env', 'mars'], noTemporal);
  expect(run.code).toBe(2);
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  expect(JSON.parse(last)).toEqual({
    error: { type: 'ConfigInvalid', message: 'unknown environment "mars": use one of local, compose, minikube' },
  });
});

test('--json also reports an unknown option as the last line', async () => {
  const run = await runCli(['status', '--json', '--bogus'], noTemporal);
  expect(run.code).toBe(2);
  expect(JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '')).toEqual({ error: { type: 'UsageError', message: "unknown option '--bogus'" } });
});

test('a namespace the server does not know is named, with the fix', async () => {
  const run = await runCli(['status', '--no-follow', '--namespace', 'no-such-ns', '--data-dir', path.join(dataDir, 'ns')]);
  expect(run.code).toBe(1);
  expect(run.stderr.trim()).toBe(
    'citus-lab: Temporal namespace "no-such-ns" does not exist: create it (temporal operator namespace create no-such-ns) or use --namespace default.',
  );
});

test.each([
  [['--workers', '0'], {}, 'worker count must be at least 1'],
  [['--workers', '2x'], {}, '--workers must be a whole number, got "2x"'],
  [['--base-port', '15432.5'], {}, '--base-port must be a whole number, got "15432.5"'],
  [[], { CITUS_LAB_WORKERS: 'abc' }, 'CITUS_LAB_WORKERS must be a whole number, got "abc"'],
  [['--cluster', 'Bad_Name'], {}, 'cluster name must be lowercase letters'],
  [['--temporal-address', 'nohost'], {}, '--temporal-address "nohost" is not host:port'],
  [['--bogus'], {}, "unknown option '--bogus'"],
  [[], { CITUS_LAB_NO_WORKER: 'yes' }, 'CITUS_LAB_NO_WORKER must be 1 or 0, got "yes"'],
] as Array<[string[], Record<string, string>, string]>)('deploy %j %j is a usage error (exit 2)', async (args, env, message) => {
  const run = await runCli(['deploy', '--data-dir', path.join(dataDir, 'bad'), ...args], { ...noTemporal, ...env });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain(message);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
});

test('--ready-timeout and --patients are parsed strictly', async () => {
  const timeout = await runCli(['deploy', '--ready-timeout', '10s'], noTemporal);
  expect(timeout.code).toBe(2);
  expect(timeout.stderr).toContain('--ready-timeout must be a whole number, got "10s"');
  const patients = await runCli(['deploy', '--patients', '-5'], noTemporal);
  expect(patients.code).toBe(2);
  expect(patients.stderr).toContain('--patients must be a whole number, got "-5"');
});

test('a Temporal address that does not answer is a runtime error (exit 1) naming the fix', async () => {
  const port = await freePort();
  const run = await runCli(['status', '--data-dir', path.join(dataDir, 'closed'), '--temporal-address', `127.0.0.1:${port}`]);
  expect(run.code).toBe(1);
  expect(run.stderr.trim()).toBe(
    `citus-lab: Temporal server at 127.0.0.1:${port} does not answer: start it (npm run temporal:dev) or drop --temporal-address to use the embedded dev server.`,
  );
  const fromEnv = await runCli(['status', '--data-dir', path.join(dataDir, 'closed')], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
  expect(fromEnv.code).toBe(1);
  expect(fromEnv.stderr).toContain('or unset TEMPORAL_ADDRESS to use the embedded dev server.');
});

test('bin/citus-lab.js runs the same CLI', async () => {
  const bin = fileURLToPath(new URL('../../bin/citus-lab.js', import.meta.url));
  const help = await runCli(['verify', '--help'], {}, [bin]);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: citus-lab verify');
  const bad = await runCli(['verify', '--workers', '0'], noTemporal, [bin]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('worker count must be at least 1');
});
