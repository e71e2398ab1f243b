/**
 * Options of `rebalance`, `drain` and `register-workers --rebalance`, with their environment twins,
 * turned into a RebalanceAndDrainInput that is checked here (the same rules the workflow applies), so
 * a bad node name or table list is refused before Temporal or the lab is touched.
 */
import { Option, type Command } from 'commander';
import type { LabSpec } from '../config/labSpec.js';
import type { LabOperation } from '../workflows/inputs.js';
import { MAX_PARALLEL_MOVES, rebalanceInputProblem } from '../workflows/rebalance/rebalanceInputProblem.js';
import { REBALANCE_DEFAULTS, TRANSFER_MODES, type IdentityFix, type RebalanceAndDrainInput, type RebalanceOperation, type TransferMode } from '../workflows/rebalance/rebalanceTypes.js';
import { UsageError } from './errors.js';
import { parseWholeNumber } from './options.js';

export function addTransferModeOption(cmd: Command): Command {
  return cmd.addOption(
    new Option('--transfer-mode <mode>', `how shards move: auto and force_logical stay online, block_writes pauses writes per shard group (default: ${REBALANCE_DEFAULTS.transferMode})`)
      .choices(TRANSFER_MODES)
      .env('CITUS_LAB_TRANSFER_MODE'),
  );
}

/** What `rebalance` and `drain` share. */
export function addMoveOptions(cmd: Command): Command {
  return addTransferModeOption(cmd)
    .addOption(new Option('--check', 'run the preflight only: report what would stop the move, change nothing'))
    .addOption(
      new Option(
        '--fix-identity <tables>',
        'give these tables what online moves need first: table (REPLICA IDENTITY FULL) or table:col+col (primary key), comma-separated',
      ).env('CITUS_LAB_FIX_IDENTITY'),
    )
    .addOption(
      new Option('--writes-to <tables>', 'tables a workload writes to meanwhile: checked for lost rows only, not for an unchanged checksum').env(
        'CITUS_LAB_WRITES_TO',
      ),
    )
    .addOption(
      new Option('--parallel <n>', `shard groups moved at once, 1-${MAX_PARALLEL_MOVES} (default: ${REBALANCE_DEFAULTS.parallelMoves})`).env(
        'CITUS_LAB_PARALLEL_MOVES',
      ),
    );
}

export function addDrainOptions(cmd: Command): Command {
  return addMoveOptions(cmd)
    .addOption(new Option('--node <name>', 'worker to empty: worker-0, worker-1, ...').env('CITUS_LAB_DRAIN_NODE'))
    .addOption(new Option('--remove', 'remove the node from Citus once it holds no shards'));
}

/** `pacientes,notas:documento_id+nota_id` -> REPLICA IDENTITY FULL for pacientes, a primary key for notas. */
export function parseFixIdentity(text: string): IdentityFix[] {
  return text.split(',').map((item) => {
    const trimmed = item.trim();
    if (!trimmed) throw new UsageError(`--fix-identity ${JSON.stringify(text)} has an empty entry: list tables separated by commas.`);
    const [table = '', columns] = trimmed.split(':', 2);
    if (columns === undefined) return { table };
    return { table, key: columns.split('+').map((c) => c.trim()).filter(Boolean) };
  });
}

function tableList(text: string, option: string): string[] {
  const tables = text.split(',').map((t) => t.trim());
  if (tables.some((t) => !t)) throw new UsageError(`${option} ${JSON.stringify(text)} has an empty entry: list tables separated by commas.`);
  return tables;
}

export function readMoveInput(cmd: Command, spec: LabSpec, operation: RebalanceOperation): RebalanceAndDrainInput {
  const opts = cmd.opts<{
    transferMode?: TransferMode;
    check?: boolean;
    fixIdentity?: string;
    writesTo?: string;
    parallel?: string;
    node?: string;
    remove?: boolean;
  }>();
  if (operation === 'drain' && !opts.node) throw new UsageError('--node is required: name the worker to empty, e.g. --node worker-1.');
  const input: RebalanceAndDrainInput = {
    spec,
    operation,
    ...(opts.node !== undefined ? { node: opts.node } : {}),
    ...(opts.remove ? { remove: true } : {}),
    ...(opts.transferMode ? { transferMode: opts.transferMode } : {}),
    ...(opts.check ? { checkOnly: true } : {}),
    ...(opts.fixIdentity !== undefined ? { fixIdentity: parseFixIdentity(opts.fixIdentity) } : {}),
    ...(opts.writesTo !== undefined ? { writesTo: tableList(opts.writesTo, '--writes-to') } : {}),
    ...(opts.parallel !== undefined ? { parallelMoves: parseWholeNumber(opts.parallel, '--parallel') } : {}),
  };
  const problem = rebalanceInputProblem(input);
  if (problem) throw new UsageError(problem.message);
  return input;
}

/** One workflow id per operation (and per drained node); checks never share an id with a move. */
export function moveOperation(input: Pick<RebalanceAndDrainInput, 'operation' | 'node' | 'checkOnly'>): LabOperation {
  const base = input.operation === 'drain' ? (`drain-${input.node ?? ''}` as const) : ('rebalance' as const);
  if (!input.checkOnly) return base;
  return input.operation === 'drain' ? (`drain-${input.node ?? ''}-check` as const) : 'rebalance-check';
}
