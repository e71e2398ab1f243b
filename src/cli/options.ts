/**
 * Command-line options and their environment-variable twins, and their translation into the raw
 * input `parseLabSpec` validates. Numbers are parsed strictly here ("2x" is refused, not read as 2);
 * ranges and names are left to the one validation in src/config/labSpec.ts.
 */
import { Option, type Command } from 'commander';
import { API_PORT_OFFSET, DEFAULTS, ENVIRONMENTS, defaultDataDir, type LabSpec } from '../config/labSpec.js';
import { DEFAULT_NAMESPACE, defaultTemporalAddress } from '../temporal/embedded.js';
import { drillTargetProblem } from '../workflows/drill/drillTarget.js';
import { DRILL_DEFAULTS, type HaDrillInput, type LabTestSuiteInput, type SuiteName } from '../workflows/drill/haDrillTypes.js';
import { FAULT_KINDS, type FaultKind } from '../environments/labEnvironment.js';
import { UsageError } from './errors.js';

/** Options every lab command takes. */
export function addCommonOptions(cmd: Command): Command {
  return addConnectionOptions(addLabOptions(cmd))
    .addOption(new Option('--no-follow', 'start (or find) the workflow, print its ids and exit'))
    .addOption(
      new Option('--no-worker', 'run no worker in this process (set CITUS_LAB_NO_WORKER=1; for `npm run worker` set-ups)'),
    );
}

/** Which lab: the options parseLabSpec reads (through readSpecInput). */
export function addLabOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--env <name>', `where the lab runs: ${ENVIRONMENTS.join(', ')} (default: ${DEFAULTS.env})`).env('CITUS_LAB_ENV'))
    .addOption(new Option('--cluster <name>', `lab name (default: ${DEFAULTS.cluster})`).env('CITUS_LAB_CLUSTER'))
    .addOption(new Option('--workers <n>', `number of Citus workers (default: ${DEFAULTS.workers})`).env('CITUS_LAB_WORKERS'))
    .addOption(
      new Option('--base-port <port>', `coordinator port; workers use the next ones (default: ${DEFAULTS.basePort})`).env(
        'CITUS_LAB_BASE_PORT',
      ),
    )
    .addOption(new Option('--data-dir <dir>', `where the lab keeps its state (default: ${defaultDataDir()})`).env('CITUS_LAB_DATA_DIR'))
    .addOption(new Option('--database <name>', `database name (default: ${DEFAULTS.database})`).env('CITUS_LAB_DATABASE'))
    .addOption(
      new Option('--api-port <port>', `port of the lab's FHIR API (default: base port + ${API_PORT_OFFSET}, ${API_PORT_OFFSET} more per standby)`).env('CITUS_LAB_API_PORT'),
    )
    .addOption(
      new Option('--standbys <n>', `streaming replicas of the coordinator and of every worker (default: ${DEFAULTS.standbys})`).env(
        'CITUS_LAB_STANDBYS',
      ),
    )
    .addOption(new Option('--sync', 'commits wait for one standby (synchronous_standby_names); needs --standbys 1 or more').env('CITUS_LAB_SYNC'));
}

/** How to reach Temporal and how to print. */
export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--json', 'print the result as one JSON object on the last line of stdout'))
    .addOption(
      new Option('--temporal-address <host:port>', `Temporal server to use (default: ${defaultTemporalAddress()}, started if absent)`).env(
        'TEMPORAL_ADDRESS',
      ),
    )
    .addOption(new Option('--namespace <name>', 'Temporal namespace').env('TEMPORAL_NAMESPACE').default(DEFAULT_NAMESPACE));
}

export function addDeployOptions(cmd: Command): Command {
  return addPatientsOption(cmd, 'sample patients to load')
    .addOption(new Option('--ready-timeout <s>', 'seconds to wait for every node to accept connections (default: 120)').env('CITUS_LAB_READY_TIMEOUT'));
}

/** Deploy loads this many patients; verify expects exactly as many rows, so it takes the same option. */
export function addPatientsOption(cmd: Command, description: string): Command {
  return cmd.addOption(new Option('--patients <n>', `${description} (default: ${DEFAULTS.patients})`).env('CITUS_LAB_PATIENTS'));
}

/** How the CLI talks to Temporal and prints; everything that is not part of the lab itself. */
export interface RunSettings {
  json: boolean;
  follow: boolean;
  inProcessWorker: boolean;
  namespace: string;
  /** Given on the command line or in TEMPORAL_ADDRESS; absent means "embedded default". */
  temporalAddress?: { address: string; from: '--temporal-address' | 'TEMPORAL_ADDRESS' };
}

type RawSpec = Partial<Record<keyof LabSpec, unknown>>;

export function readSpecInput(cmd: Command): RawSpec {
  const opts = cmd.opts<Record<string, string | undefined>>();
  return {
    env: opts.env,
    cluster: opts.cluster,
    workers: wholeNumberOption(cmd, 'workers'),
    basePort: wholeNumberOption(cmd, 'basePort'),
    dataDir: opts.dataDir,
    database: opts.database,
    patients: wholeNumberOption(cmd, 'patients'),
    apiPort: wholeNumberOption(cmd, 'apiPort'),
    standbys: wholeNumberOption(cmd, 'standbys'),
    sync: booleanOption(cmd, 'sync'),
  };
}

/** A flag whose environment twin may say 1/0/true/false (commander hands env values over as strings). */
function booleanOption(cmd: Command, key: string): boolean | undefined {
  const value: unknown = cmd.opts()[key];
  if (value === undefined || typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['1', 'true', 'yes'].includes(text)) return true;
  if (['', '0', 'false', 'no'].includes(text)) return false;
  throw new UsageError(`${sourceLabel(cmd, key)} must be 1 or 0, got ${JSON.stringify(value)}.`);
}

export function readRunSettings(cmd: Command, env: NodeJS.ProcessEnv = process.env): RunSettings {
  const opts = cmd.opts<{ json?: boolean; follow: boolean; worker: boolean; namespace: string; temporalAddress?: string }>();
  const noWorkerEnv = env.CITUS_LAB_NO_WORKER;
  if (noWorkerEnv !== undefined && !['', '0', '1', 'true', 'false'].includes(noWorkerEnv)) {
    throw new UsageError(`CITUS_LAB_NO_WORKER must be 1 or 0, got ${JSON.stringify(noWorkerEnv)}.`);
  }
  const settings: RunSettings = {
    json: opts.json === true,
    follow: opts.follow,
    inProcessWorker: opts.worker && !(noWorkerEnv === '1' || noWorkerEnv === 'true'),
    namespace: opts.namespace,
  };
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(settings.namespace)) {
    throw new UsageError(`${sourceLabel(cmd, 'namespace')} ${JSON.stringify(settings.namespace)} is not a Temporal namespace name.`);
  }
  if (opts.temporalAddress !== undefined) {
    const from = cmd.getOptionValueSource('temporalAddress') === 'env' ? 'TEMPORAL_ADDRESS' : '--temporal-address';
    if (!isHostPort(opts.temporalAddress)) {
      throw new UsageError(`${from} ${JSON.stringify(opts.temporalAddress)} is not host:port: use for example 127.0.0.1:7233.`);
    }
    settings.temporalAddress = { address: opts.temporalAddress, from };
  }
  return settings;
}

export function readReadyTimeout(cmd: Command): number | undefined {
  const seconds = wholeNumberOption(cmd, 'readyTimeout');
  if (seconds !== undefined && seconds < 1) {
    throw new UsageError(`${sourceLabel(cmd, 'readyTimeout')} must be at least 1 second.`);
  }
  return seconds;
}

function wholeNumberOption(cmd: Command, key: string): number | undefined {
  const value: unknown = cmd.opts()[key];
  if (value === undefined) return undefined;
  return parseWholeNumber(String(value), sourceLabel(cmd, key));
}

/** Digits only: "2x", "1.5", "-1", "0x10" and "" are all refused with the option's name. */
export function parseWholeNumber(text: string, label: string): number {
  const trimmed = text.trim();
  if (!/^\d{1,9}$/.test(trimmed)) {
    throw new UsageError(`${label} must be a whole number, got ${JSON.stringify(text)}.`);
  }
  return Number(trimmed);
}

/** `--workers`, or `CITUS_LAB_WORKERS` when the value came from the environment. */
function sourceLabel(cmd: Command, key: string): string {
  const option = cmd.options.find((o) => o.attributeName() === key);
  if (!option) return key;
  if (cmd.getOptionValueSource(key) === 'env' && option.envVar) return option.envVar;
  return option.long ?? key;
}

function isHostPort(address: string): boolean {
  const idx = address.lastIndexOf(':');
  if (idx <= 0) return false;
  const port = address.slice(idx + 1);
  return /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

/** `ha-drill` and `schedule ha-drill`: which node to kill, and how the drill probes. */
export function addDrillOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--node <name>', 'node to kill: worker-0, worker-1, ... (the coordinator only with --allow-coordinator)').env('CITUS_LAB_DRILL_NODE'))
    .addOption(new Option('--allow-coordinator', 'allow drilling the coordinator (it takes the whole cluster down)'))
    .addOption(new Option('--cadence-ms <ms>', `probe period of each probe class (default: ${DRILL_DEFAULTS.cadenceMs})`).env('CITUS_LAB_DRILL_CADENCE_MS'))
    .addOption(
      new Option(
        '--duration-after-recovery-s <s>',
        `seconds every probe class must stay healthy after the outage before the drill ends (default: ${DRILL_DEFAULTS.settleSeconds})`,
      ).env('CITUS_LAB_DRILL_SETTLE_S'),
    )
    .addOption(
      new Option('--recovery-timeout <s>', `seconds the platform gets to bring the node back (default: ${DRILL_DEFAULTS.recoveryTimeoutSeconds})`).env(
        'CITUS_LAB_DRILL_RECOVERY_TIMEOUT',
      ),
    )
    .addOption(
      new Option('--fault <kind>', 'kill (default), destroy (the data directory goes too) or partition (the node stops answering; local)')
        .choices(FAULT_KINDS)
        .env('CITUS_LAB_DRILL_FAULT'),
    )
    .addOption(new Option('--expect <how>', 'fail unless this recovered the group: restart or failover').choices(['restart', 'failover']).env('CITUS_LAB_DRILL_EXPECT'));
}

/** The drill request, refused here (before any Temporal or lab work) for an unknown node or the coordinator. */
export function readDrillInput(cmd: Command, spec: LabSpec): HaDrillInput {
  const opts = cmd.opts<{ node?: string; allowCoordinator?: boolean; fault?: FaultKind; expect?: 'restart' | 'failover' }>();
  if (!opts.node) throw new UsageError('--node is required: name the node to kill, e.g. --node worker-0.');
  const allowCoordinator = opts.allowCoordinator === true;
  const problem = drillTargetProblem(spec, opts.node, allowCoordinator);
  if (problem) throw new UsageError(problem);
  if (opts.fault === 'destroy' && (spec.standbys ?? 0) === 0) {
    // Nothing could bring the node back: the drill would delete a lab's only copy of its shards.
    throw new UsageError(
      '--fault destroy deletes the node\'s data directory, which only a standby survives: use it on a lab deployed with --standbys 1 (give --standbys 1 to ha-drill too), or use --fault kill.',
    );
  }
  const cadenceMs = boundedOption(cmd, 'cadenceMs', 10, 10_000);
  const settleSeconds = boundedOption(cmd, 'durationAfterRecoveryS', 1, 600);
  const recoveryTimeoutSeconds = boundedOption(cmd, 'recoveryTimeout', 1, 3_600);
  return {
    spec,
    node: opts.node,
    ...(allowCoordinator ? { allowCoordinator } : {}),
    ...(cadenceMs !== undefined ? { cadenceMs } : {}),
    ...(settleSeconds !== undefined ? { settleSeconds } : {}),
    ...(recoveryTimeoutSeconds !== undefined ? { recoveryTimeoutSeconds } : {}),
    ...(opts.fault !== undefined ? { fault: opts.fault } : {}),
    ...(opts.expect !== undefined ? { expect: opts.expect } : {}),
  };
}

/** `test <suite>`: the node `all` drills and its probe cadence. */
export function addSuiteOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--node <name>', 'worker the `all` suite drills (default: worker-0)').env('CITUS_LAB_DRILL_NODE'))
    .addOption(new Option('--cadence-ms <ms>', `probe period of the drill (default: ${DRILL_DEFAULTS.cadenceMs})`).env('CITUS_LAB_DRILL_CADENCE_MS'));
}

export function readSuiteInput(cmd: Command, spec: LabSpec, suite: SuiteName): LabTestSuiteInput {
  const node = cmd.opts<{ node?: string }>().node;
  if (node !== undefined) {
    const problem = drillTargetProblem(spec, node);
    if (problem) throw new UsageError(problem);
  }
  const cadenceMs = boundedOption(cmd, 'cadenceMs', 10, 10_000);
  return { spec, suite, ...(node !== undefined ? { drillNode: node } : {}), ...(cadenceMs !== undefined ? { cadenceMs } : {}) };
}

function boundedOption(cmd: Command, key: string, min: number, max: number): number | undefined {
  const value = wholeNumberOption(cmd, key);
  if (value !== undefined && (value < min || value > max)) {
    throw new UsageError(`${sourceLabel(cmd, key)} must be between ${min} and ${max}, got ${value}.`);
  }
  return value;
}
