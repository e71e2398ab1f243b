/** `history export <workflowId>` and `history replay <workflowId>`. */
import { Option, type Command } from 'commander';
import { defaultDataDir } from '../config/labSpec.js';
import { DEFAULT_NAMESPACE } from '../temporal/embedded.js';
import type { ProgramResult } from './program.js';
import type { CliIO } from './runLabWorkflow.js';
import type { HistoryRequest } from './history.js';

interface HistoryOptions {
  runId?: string;
  namespace: string;
  dataDir?: string;
  temporalAddress?: string;
  out?: string;
}

function withConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--run-id <id>', 'a specific run (default: the latest)'))
    .addOption(new Option('--temporal-address <host:port>', 'Temporal server (default: the embedded one)').env('TEMPORAL_ADDRESS'))
    .addOption(new Option('--namespace <name>', 'Temporal namespace').env('TEMPORAL_NAMESPACE').default(DEFAULT_NAMESPACE))
    .addOption(new Option('--data-dir <dir>', 'where the embedded server keeps its history').env('CITUS_LAB_DATA_DIR'));
}

function toRequest(workflowId: string, opts: HistoryOptions, cmd: Command): HistoryRequest {
  const from = cmd.getOptionValueSource('temporalAddress') === 'env' ? 'TEMPORAL_ADDRESS' : '--temporal-address';
  return {
    workflowId,
    runId: opts.runId,
    namespace: opts.namespace,
    dataDir: opts.dataDir ?? defaultDataDir(),
    ...(opts.temporalAddress ? { temporalAddress: { address: opts.temporalAddress, from } } : {}),
  };
}

export function addHistoryCommands(program: Command, io: CliIO, result: ProgramResult): void {
  const history = program.command('history').description("export or replay a workflow run's history");
  withConnectionOptions(history.command('export <workflowId>').description('write the history as JSON (as `temporal workflow show --output json`)'))
    .addOption(new Option('--out <file>', 'write to this file instead of stdout'))
    .action(async (workflowId: string, opts: HistoryOptions, cmd: Command) => {
      const { exportHistory } = await import('./history.js');
      result.exitCode = await exportHistory({ ...toRequest(workflowId, opts, cmd), out: opts.out }, io);
    });
  withConnectionOptions(history.command('replay <workflowId>').description("replay a run's history against this checkout's workflow code")).action(
    async (workflowId: string, opts: HistoryOptions, cmd: Command) => {
      const { replayLiveHistory } = await import('./history.js');
      result.exitCode = await replayLiveHistory(toRequest(workflowId, opts, cmd), io);
    },
  );
}
