/**
 * `failover --node worker-N` and `switchover --node worker-N`: FailoverNode and SwitchoverNode.
 * The group is checked here (a worker of this lab), so a typo never reaches Temporal.
 */
import { Option, type Command } from 'commander';
import type { Workflow } from '@temporalio/common';
import type { LabSpec } from '../config/labSpec.js';
import { nodeNames } from '../environments/labEnvironment.js';
import type { failoverNode, switchoverNode } from '../workflows/index.js';
import type { FailoverNodeInput, SwitchoverNodeInput } from '../workflows/failover/failoverTypes.js';
import { UsageError } from './errors.js';
import type { RunSettings } from './options.js';
import type { LabRunRequest } from './runLabWorkflow.js';

export interface HaCommandSeams {
  labCommand(name: string, description: string): Command;
  prepare(cmd: Command): { spec: LabSpec; settings: RunSettings };
  run(action: () => Promise<number>): Promise<void>;
  runWith<W extends Workflow>(request: LabRunRequest<W>): Promise<number>;
}

function readGroup(cmd: Command, spec: LabSpec): { node: string; target?: string } {
  const opts = cmd.opts<{ node?: string; to?: string }>();
  if (!opts.node) throw new UsageError('--node is required: name the worker group, e.g. --node worker-0.');
  const workers = nodeNames(spec).filter((n) => n !== 'coordinator');
  if (!workers.includes(opts.node)) {
    throw new UsageError(`--node ${JSON.stringify(opts.node)} is not a worker of this lab: use one of ${workers.join(', ')} (the coordinator cannot fail over yet).`);
  }
  if (opts.to !== undefined && !new RegExp(`^${opts.node}(-s\\d+)?$`).test(opts.to)) {
    throw new UsageError(`--to ${JSON.stringify(opts.to)} is not a member of ${opts.node}: use ${opts.node}-s1, ...`);
  }
  return { node: opts.node, ...(opts.to !== undefined ? { target: opts.to } : {}) };
}

const groupOptions = (cmd: Command) =>
  cmd
    .addOption(new Option('--node <name>', 'worker group: worker-0, worker-1, ...'))
    .addOption(new Option('--to <member>', 'standby to promote (default: the most advanced one), e.g. worker-0-s1'));

export function addHaCommands(seams: HaCommandSeams): void {
  groupOptions(seams.labCommand('failover', 'fence a worker group\'s primary, promote its most advanced standby, repoint Citus, rebuild the old primary'))
    .addOption(new Option('--reason <text>', 'why, kept in the run\'s history and report'))
    .action(async (_opts, cmd: Command) => {
      const { spec, settings } = seams.prepare(cmd);
      const group = readGroup(cmd, spec);
      const reason = cmd.opts<{ reason?: string }>().reason;
      const input: FailoverNodeInput = { spec, ...group, ...(reason ? { reason } : {}) };
      const { summarizeFailover } = await import('./haSummary.js');
      await seams.run(() =>
        seams.runWith<typeof failoverNode>({ operation: `failover-${group.node}`, spec, settings, workflowType: 'failoverNode', args: [input], summarize: summarizeFailover }),
      );
    });

  groupOptions(seams.labCommand('switchover', 'planned change of primary in a worker group: writes pause (not fail) for the switch'))
    .action(async (_opts, cmd: Command) => {
      const { spec, settings } = seams.prepare(cmd);
      const input: SwitchoverNodeInput = { spec, ...readGroup(cmd, spec) };
      const { summarizeSwitchover } = await import('./haSummary.js');
      await seams.run(() =>
        seams.runWith<typeof switchoverNode>({ operation: `switchover-${input.node}`, spec, settings, workflowType: 'switchoverNode', args: [input], summarize: summarizeSwitchover }),
      );
    });
}
