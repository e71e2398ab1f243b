/**
 * The commands. Each one validates its input once (options -> parseLabSpec, via readLabSpec), then hands a typed
 * request to runLabWorkflow. Nothing touches Temporal or the disk before validation passed.
 */
import { Argument, Command } from 'commander';
import type { Workflow } from '@temporalio/common';
import type { LabSpec } from '../config/labSpec.js';
import { readLabSpec } from './labSpecInput.js';
import type { cleanupLab, deployLab, haDrill, labStatus, labTestSuite, rebalanceAndDrain, registerWorkers, verifyLab } from '../workflows/index.js';
import { SUITES, haDrillOperation, type SuiteName } from '../workflows/drill/haDrillTypes.js';
import type { RebalanceAndDrainInput } from '../workflows/rebalance/rebalanceTypes.js';
import type { CleanupInput, DeployLabInput, LabInput, RegisterWorkersInput } from '../workflows/inputs.js';
import type { CliIO, LabRunRequest, RunDeps } from './runLabWorkflow.js';
import { addApiCommands } from './apiCommands.js';
import { addHaCommands } from './haCommands.js';
import { addHistoryCommands } from './historyCommands.js';
import { addScheduleCommands } from './scheduleCommands.js';
import { addDrainOptions, addMoveOptions, addTransferModeOption, moveOperation, readMoveInput } from './rebalanceOptions.js';
import {
  addCommonOptions,
  addDeployOptions,
  addDrillOptions,
  addPatientsOption,
  addSuiteOptions,
  readDrillInput,
  readReadyTimeout,
  readRunSettings,
  readSuiteInput,
  type RunSettings,
} from './options.js';

/** The exit code of the last action; commander itself only knows success or error. */
export interface ProgramResult {
  exitCode: number;
}

export function buildProgram(io: CliIO, result: ProgramResult, deps: RunDeps = {}): Command {
  const program = new Command('citus-lab')
    .description('Deploy and operate a PostgreSQL + Citus lab through durable Temporal workflows.')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .exitOverride();

  const labCommand = (name: string, description: string) => {
    const cmd = addCommonOptions(program.command(name).description(description)).allowExcessArguments(false);
    cmd.configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
    return cmd.exitOverride();
  };

  const prepare = (cmd: Command): { spec: LabSpec; settings: RunSettings } => {
    const settings = readRunSettings(cmd, io.env);
    return { spec: readLabSpec(cmd), settings };
  };

  const run = async (action: () => Promise<number>) => {
    result.exitCode = await action();
  };

  addDeployOptions(labCommand('deploy', 'create, start, register, load and verify a lab (idempotent: re-running resumes)')).action(
    async (_opts, cmd: Command) => {
      const { spec, settings } = prepare(cmd);
      const input: DeployLabInput = { spec, readyTimeoutSeconds: readReadyTimeout(cmd) };
      const { summarizeDeploy } = await import('./summary.js');
      await run(() =>
        runWith<typeof deployLab>(io, deps, { operation: 'deploy', spec, settings, workflowType: 'deployLab', args: [input], summarize: summarizeDeploy }),
      );
    },
  );

  addTransferModeOption(
    labCommand('register-workers', 'register every worker with the coordinator (idempotent)').option(
      '--rebalance',
      'then spread the shards over every worker (a rebalance run as a child; --transfer-mode applies)',
    ),
  ).action(async (opts: { rebalance?: boolean; transferMode?: RebalanceAndDrainInput['transferMode'] }, cmd: Command) => {
    const { spec, settings } = prepare(cmd);
    const input: RegisterWorkersInput = {
      spec,
      ...(opts.rebalance ? { rebalance: opts.transferMode ? { transferMode: opts.transferMode } : {} } : {}),
    };
    const { summarizeRegisterWorkers } = await import('./summary.js');
    await run(() =>
      runWith<typeof registerWorkers>(io, deps, {
        operation: 'register-workers',
        spec,
        settings,
        workflowType: 'registerWorkers',
        args: [input],
        summarize: summarizeRegisterWorkers,
      }),
    );
  });

  addPatientsOption(
    labCommand('verify', 'check the cluster (workers, distribution, queries) and write a report'),
    'patients the lab was deployed with (row counts are checked against it)',
  ).action(async (_opts, cmd: Command) => {
    const { spec, settings } = prepare(cmd);
    const input: LabInput = { spec };
    const { summarizeVerify } = await import('./summary.js');
    await run(() =>
      runWith<typeof verifyLab>(io, deps, { operation: 'verify', spec, settings, workflowType: 'verifyLab', args: [input], summarize: summarizeVerify }),
    );
  });

  labCommand('status', 'show the nodes (running, pid) and the Citus workers').action(async (_opts, cmd: Command) => {
    const { spec, settings } = prepare(cmd);
    const input: LabInput = { spec };
    const { summarizeStatus } = await import('./summary.js');
    await run(() =>
      runWith<typeof labStatus>(io, deps, { operation: 'status', spec, settings, workflowType: 'labStatus', args: [input], summarize: summarizeStatus }),
    );
  });

  labCommand('cleanup', 'stop the lab; with --volumes also delete its data and secrets')
    .option('--volumes', 'also remove data directories and secrets')
    .action(async (opts: { volumes?: boolean }, cmd: Command) => {
      const { spec, settings } = prepare(cmd);
      const input: CleanupInput = { spec, removeData: opts.volumes === true };
      const { summarizeCleanup } = await import('./summary.js');
      await run(() =>
        runWith<typeof cleanupLab>(io, deps, { operation: 'cleanup', spec, settings, workflowType: 'cleanupLab', args: [input], summarize: summarizeCleanup }),
      );
    });

  addDrillOptions(labCommand('ha-drill', 'kill a node under probe load; measure detection, downtime, recovery and lost writes')).action(
    async (_opts, cmd: Command) => {
      const { spec, settings } = prepare(cmd);
      const input = readDrillInput(cmd, spec);
      const { summarizeHaDrill } = await import('./summary.js');
      await run(() =>
        runWith<typeof haDrill>(io, deps, {
          operation: haDrillOperation(input.node),
          spec,
          settings,
          workflowType: 'haDrill',
          args: [input],
          summarize: summarizeHaDrill,
        }),
      );
    },
  );

  addSuiteOptions(labCommand('test', 'lab test suite: basic, complete (+1000 patients, distributed queries) or all (+HA drill)'))
    .addArgument(new Argument('<suite>', 'basic, complete or all').choices(SUITES))
    .action(async (suite: SuiteName, _opts, cmd: Command) => {
      const { spec, settings } = prepare(cmd);
      const input = readSuiteInput(cmd, spec, suite);
      const { summarizeTestSuite } = await import('./summary.js');
      await run(() =>
        runWith<typeof labTestSuite>(io, deps, {
          operation: `test-${suite}`,
          spec,
          settings,
          workflowType: 'labTestSuite',
          args: [input],
          summarize: summarizeTestSuite,
        }),
      );
    });

  const moveCommand = (cmd: Command, operation: RebalanceAndDrainInput['operation']) =>
    cmd.action(async (_opts, command: Command) => {
      const { spec, settings } = prepare(command);
      const input = readMoveInput(command, spec, operation);
      const { summarizeRebalance } = await import('./summary.js');
      await run(() =>
        runWith<typeof rebalanceAndDrain>(io, deps, {
          operation: moveOperation(input),
          spec,
          settings,
          workflowType: 'rebalanceAndDrain',
          args: [input],
          summarize: summarizeRebalance,
        }),
      );
    });
  moveCommand(addMoveOptions(labCommand('rebalance', 'spread shards evenly over the workers, online, with a proof that no row changed')), 'rebalance');
  moveCommand(addDrainOptions(labCommand('drain', 'move every shard off one worker, online (--remove: then remove it from Citus)')), 'drain');

  addHaCommands({ labCommand, prepare, run, runWith: (request) => runWith(io, deps, request) });
  addScheduleCommands(program, io, result);
  addHistoryCommands(program, io, result);
  addApiCommands(program, io, result);

  return program;
}

// Loaded only once input is valid: the Temporal client is not needed to print help or refuse input.
async function runWith<W extends Workflow>(io: CliIO, deps: RunDeps, request: LabRunRequest<W>): Promise<number> {
  const { runLabWorkflow } = await import('./runLabWorkflow.js');
  return runLabWorkflow<W>(request, io, deps);
}
