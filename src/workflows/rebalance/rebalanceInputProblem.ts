/**
 * What is wrong with a RebalanceAndDrain request before anything touches the cluster. Pure: the CLI
 * refuses the same input at its edge, and the workflow re-checks (other clients start it too).
 */
import type { LabSpec } from '../../config/labSpec.js';
import { nodeNames } from '../../environments/labEnvironment.js';
import { TRANSFER_MODES, type RebalanceAndDrainInput } from './rebalanceTypes.js';

export const MAX_PARALLEL_MOVES = 16;
/** labSpec.ts's SQL_IDENTIFIER (that module pulls zod and node:path, which the workflow sandbox must not). */
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export interface InputProblem {
  type: 'UnknownNode' | 'ConfigInvalid';
  message: string;
}

function workersOf(spec: Pick<LabSpec, 'workers'>): string[] {
  return nodeNames(spec).filter((n) => n !== 'coordinator');
}

export function rebalanceInputProblem(input: Omit<RebalanceAndDrainInput, 'spec'> & { spec: Pick<LabSpec, 'workers' | 'cluster'> }): InputProblem | undefined {
  const { spec } = input;
  if (input.operation === 'drain') {
    const workers = workersOf(spec);
    if (!input.node) return { type: 'ConfigInvalid', message: `drain needs the worker to empty: use one of ${workers.join(', ')}.` };
    if (!workers.includes(input.node)) {
      const why = input.node === 'coordinator' ? 'the coordinator holds no shards of its own to drain' : `lab ${spec.cluster} has no such worker`;
      return { type: 'UnknownNode', message: `cannot drain ${JSON.stringify(input.node)}: ${why}; its workers are ${workers.join(', ')}.` };
    }
  } else if (input.node !== undefined || input.remove) {
    return { type: 'ConfigInvalid', message: 'a rebalance spreads shards over every worker: --node and --remove belong to drain.' };
  }
  if (input.transferMode !== undefined && !TRANSFER_MODES.includes(input.transferMode)) {
    return { type: 'ConfigInvalid', message: `unknown transfer mode ${JSON.stringify(input.transferMode)}: use one of ${TRANSFER_MODES.join(', ')}.` };
  }
  if (input.checkOnly && (input.fixIdentity ?? []).length) {
    return { type: 'ConfigInvalid', message: '--check changes nothing, so it does not take --fix-identity: check first, then run with --fix-identity.' };
  }
  const parallel = input.parallelMoves;
  if (parallel !== undefined && (!Number.isInteger(parallel) || parallel < 1 || parallel > MAX_PARALLEL_MOVES)) {
    return { type: 'ConfigInvalid', message: `parallel moves must be a whole number from 1 to ${MAX_PARALLEL_MOVES}, got ${parallel}.` };
  }
  const names = [
    ...(input.fixIdentity ?? []).flatMap((f) => [f.table, ...(f.key ?? [])]),
    ...(input.writesTo ?? []),
  ];
  const bad = names.find((n) => !SQL_IDENTIFIER.test(n));
  if (bad !== undefined) {
    return {
      type: 'ConfigInvalid',
      message: `${JSON.stringify(bad)} is not a plain SQL identifier: use lowercase letters, digits and underscores, starting with a letter.`,
    };
  }
  const emptyKey = (input.fixIdentity ?? []).find((f) => f.key !== undefined && f.key.length === 0);
  if (emptyKey) return { type: 'ConfigInvalid', message: `--fix-identity ${emptyKey.table}: name the key columns after the colon, e.g. ${emptyKey.table}:id.` };
  return undefined;
}
