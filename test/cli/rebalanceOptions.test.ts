/**
 * `rebalance`, `drain` and `register-workers --rebalance` on the command line: options into a checked
 * request, one workflow id per operation and drained node, and bad input refused with exit 2 before
 * Temporal or the lab is touched.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { addCommonOptions } from '../../src/cli/options.js';
import { addDrainOptions, addMoveOptions, moveOperation, parseFixIdentity, readMoveInput } from '../../src/cli/rebalanceOptions.js';
import { UsageError } from '../../src/cli/errors.js';
import { parseLabSpec } from '../../src/config/labSpec.js';
import type { RebalanceOperation } from '../../src/workflows/rebalance/rebalanceTypes.js';
import { runCli } from './runCli.js';

const spec = parseLabSpec({ env: 'local', workers: 3, dataDir: '/tmp/citus-lab-cli-rebalance' });

function read(operation: RebalanceOperation, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const cmd = new Command(operation).exitOverride();
    (operation === 'drain' ? addDrainOptions : addMoveOptions)(addCommonOptions(cmd));
    cmd.parse(argv, { from: 'user' });
    return readMoveInput(cmd, spec, operation);
  } finally {
    process.env = saved;
  }
}

test('--fix-identity takes tables (REPLICA IDENTITY FULL) and table:col+col (primary key)', () => {
  expect(parseFixIdentity('pacientes, notas:documento_id+nota_id')).toEqual([
    { table: 'pacientes' },
    { table: 'notas', key: ['documento_id', 'nota_id'] },
  ]);
  expect(() => parseFixIdentity('a,,b')).toThrow(UsageError);
});

test('options become a checked request, with environment twins', () => {
  expect(read('drain', ['--node', 'worker-2', '--remove', '--transfer-mode', 'block_writes', '--parallel', '2'])).toEqual({
    spec,
    operation: 'drain',
    node: 'worker-2',
    remove: true,
    transferMode: 'block_writes',
    parallelMoves: 2,
  });
  expect(read('rebalance', ['--check'], { CITUS_LAB_TRANSFER_MODE: 'force_logical' })).toEqual({
    spec,
    operation: 'rebalance',
    checkOnly: true,
    transferMode: 'force_logical',
  });
  expect(read('rebalance', ['--fix-identity', 'notas', '--writes-to', 'observaciones,notas'])).toMatchObject({
    fixIdentity: [{ table: 'notas' }],
    writesTo: ['observaciones', 'notas'],
  });
});

test.each([
  ['drain', [], '--node is required'],
  ['drain', ['--node', 'worker-7'], 'cannot drain "worker-7": lab lab has no such worker; its workers are worker-0, worker-1, worker-2.'],
  ['drain', ['--node', 'coordinator'], 'the coordinator holds no shards of its own to drain'],
  ['rebalance', ['--fix-identity', 'Notas'], '"Notas" is not a plain SQL identifier'],
  ['rebalance', ['--fix-identity', 'notas:'], 'name the key columns after the colon'],
  ['rebalance', ['--check', '--fix-identity', 'notas'], '--check changes nothing'],
  ['rebalance', ['--parallel', '40'], 'parallel moves must be a whole number from 1 to 16'],
  ['rebalance', ['--parallel', 'x'], '--parallel must be a whole number'],
] as const)('%s %j is refused: %s', (operation, argv, message) => {
  expect(() => read(operation, [...argv])).toThrow(message);
});

test('one workflow id per operation and drained node; checks never attach to a move', () => {
  expect(moveOperation({ operation: 'rebalance' })).toBe('rebalance');
  expect(moveOperation({ operation: 'rebalance', checkOnly: true })).toBe('rebalance-check');
  expect(moveOperation({ operation: 'drain', node: 'worker-1' })).toBe('drain-worker-1');
  expect(moveOperation({ operation: 'drain', node: 'worker-1', checkOnly: true })).toBe('drain-worker-1-check');
});

describe('the real CLI', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-cli-rebalance-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  // Refusals must come before any Temporal work: this closed address would fail loudly otherwise.
  const noTemporal = { TEMPORAL_ADDRESS: '127.0.0.1:9' };

  test('drain of an unknown node exits 2 with one sentence, --json with the error object', async () => {
    const run = await runCli(['drain', '--node', 'worker-9', '--data-dir', dataDir], noTemporal);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe('citus-lab: cannot drain "worker-9": lab lab has no such worker; its workers are worker-0, worker-1.');
    const json = await runCli(['drain', '--node', 'worker-9', '--json', '--data-dir', dataDir], noTemporal);
    expect(JSON.parse(json.stdout.trim().split('\n').at(-1) ?? '')).toMatchObject({ error: { type: 'UsageError' } });
  });

  test('an unknown transfer mode is refused by the option itself', async () => {
    const run = await runCli(['rebalance', '--transfer-mode', 'fast', '--data-dir', dataDir], noTemporal);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--transfer-mode <mode>' argument 'fast' is invalid. Allowed choices are auto, force_logical, block_writes.");
  });

  test('--help shows the move options and their environment twins', async () => {
    const drain = await runCli(['drain', '--help']);
    expect(drain.code).toBe(0);
    for (const text of ['--node', '--remove', '--transfer-mode', '--check', '--fix-identity', '--writes-to', '--parallel', 'CITUS_LAB_TRANSFER_MODE']) {
      expect(drain.stdout).toContain(text);
    }
    const register = await runCli(['register-workers', '--help']);
    expect(register.stdout).toContain('--rebalance');
    expect(register.stdout).toContain('--transfer-mode');
  });
});
