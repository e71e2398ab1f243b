/**
 * `schedule ha-drill|list|delete|trigger`: the nightly drill as a Temporal Schedule. Input is checked
 * (node, cron) before the Temporal server is contacted; scheduled runs need a long-running worker
 * (`npm run worker`), which `schedule ha-drill` reminds of when none polls.
 */
import { Option, type Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { LabSpec } from '../config/labSpec.js';
import { readLabSpec } from './labSpecInput.js';
import { drillScheduleId } from '../workflows/drill/haDrillTypes.js';
import { parseCron } from './cron.js';
import { UsageError } from './errors.js';
import { addConnectionOptions, addDrillOptions, addLabOptions, readDrillInput, readRunSettings, type RunSettings } from './options.js';
import type { ProgramResult } from './program.js';
import type { CliIO } from './runLabWorkflow.js';
import { table } from './summary.js';

export const DEFAULT_DRILL_CRON = '0 3 * * *';

/** Connects (starting the embedded dev server if that is the one to use) and hands a client to `fn`. */
async function withClient<T>(io: CliIO, settings: RunSettings, dataDir: string, fn: (client: Client) => Promise<T>): Promise<T> {
  // The embedded dev server keeps its history under the data dir: refuse one that cannot hold it first.
  (await import('../config/dataDir.js')).assertUsableDataDir(dataDir);
  const [{ Client: TemporalClient, Connection }, { ensureTemporalServer }, { ensureSearchAttributes }] = await Promise.all([
    import('@temporalio/client'),
    import('../temporal/embedded.js'),
    import('../temporal/ensureSearchAttributes.js'),
  ]);
  const temporal = await ensureTemporalServer({
    explicit: settings.temporalAddress,
    dataDir,
    namespace: settings.namespace,
    log: (line) => io.stderr.write(`${line}\n`),
    env: io.env,
  });
  const connection = await Connection.connect({ address: temporal.address });
  try {
    await ensureSearchAttributes(connection, settings.namespace);
    return await fn(new TemporalClient({ connection, namespace: settings.namespace }));
  } finally {
    await connection.close().catch(() => undefined);
  }
}

function print(io: CliIO, settings: RunSettings, json: unknown, lines: string[]): void {
  io.stdout.write(settings.json ? `${JSON.stringify(json)}\n` : `${lines.join('\n')}\n`);
}

/** The schedule a command names: `--node` is required, the lab options say which lab. */
function namedSchedule(cmd: Command): { spec: LabSpec; scheduleId: string; node: string } {
  const node = cmd.opts<{ node?: string }>().node;
  if (!node) throw new UsageError('--node is required: name the drilled node whose schedule this is, e.g. --node worker-0.');
  const spec = readLabSpec(cmd);
  return { spec, node, scheduleId: drillScheduleId(spec, node) };
}

async function workerPolls(client: Client, namespace: string, taskQueue: string): Promise<boolean> {
  const response = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: 1 /* TASK_QUEUE_KIND_NORMAL */ },
    taskQueueType: 1 /* TASK_QUEUE_TYPE_WORKFLOW */,
  });
  return (response.pollers ?? []).length > 0;
}

export function addScheduleCommands(program: Command, io: CliIO, result: ProgramResult): void {
  const schedule = program.command('schedule').description('scheduled HA drills as Temporal Schedules (create/update, list, delete, trigger)');
  const sub = (name: string, description: string) => {
    const cmd = addConnectionOptions(addLabOptions(schedule.command(name).description(description))).allowExcessArguments(false);
    cmd.configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
    return cmd.exitOverride();
  };
  const nodeOption = () => new Option('--node <name>', 'the drilled node the schedule is for').env('CITUS_LAB_DRILL_NODE');

  addDrillOptions(sub('ha-drill', 'create or update the schedule of an HA drill (running it twice changes nothing)'))
    .addOption(new Option('--cron <expression>', `when, in cron syntax, UTC (default: "${DEFAULT_DRILL_CRON}", 03:00 every day)`).env('CITUS_LAB_DRILL_CRON'))
    .action(async (opts: { cron?: string }, cmd: Command) => {
      const settings = readRunSettings(cmd, io.env);
      const spec = readLabSpec(cmd);
      const input = readDrillInput(cmd, spec);
      const cron = parseCron(opts.cron ?? DEFAULT_DRILL_CRON);
      const { upsertDrillSchedule } = await import('./schedules.js');
      const { labTaskQueue } = await import('../workflows/inputs.js');
      const taskQueue = labTaskQueue(spec);
      await withClient(io, settings, spec.dataDir, async (client) => {
        const change = await upsertDrillSchedule(client, { input, cron });
        const next = (await client.schedule.getHandle(change.scheduleId).describe()).info.nextActionTimes[0]?.toISOString();
        const polled = await workerPolls(client, settings.namespace, taskQueue);
        const verb = { created: 'Created', updated: 'Updated', unchanged: 'Unchanged:' }[change.action];
        print(io, settings, { ...change, cron, node: input.node, nextRun: next ?? null, workerPolling: polled }, [
          `${verb} schedule ${change.scheduleId}: HA drill of ${input.node} in lab "${spec.cluster}" (${spec.env}) at "${cron}" (UTC).`,
          ...(next ? [`Next run: ${next}`] : []),
          ...(polled
            ? []
            : [
                `Note: no worker polls task queue ${taskQueue} right now; scheduled runs wait for one (keep \`npm run worker -- --lab ${spec.env}/${spec.cluster}\` running).`,
              ]),
        ]);
      });
      result.exitCode = 0;
    });

  sub('list', "list the lab's scheduled drills (every citus-lab schedule unless --env/--cluster is given)").action(async (_opts, cmd: Command) => {
    const settings = readRunSettings(cmd, io.env);
    const given = cmd.opts<{ env?: string; cluster?: string }>();
    const spec = readLabSpec(cmd);
    const filter = { ...(given.env ? { env: spec.env } : {}), ...(given.cluster ? { cluster: spec.cluster } : {}) };
    const { listLabSchedules } = await import('./schedules.js');
    await withClient(io, settings, spec.dataDir, async (client) => {
      const rows = await listLabSchedules(client, filter);
      print(
        io,
        settings,
        rows,
        rows.length
          ? table(
              ['SCHEDULE', 'NODE', 'CRON', 'PAUSED', 'NEXT RUN', 'LAST RUN'],
              rows.map((r) => [
                r.scheduleId,
                r.node ?? '?',
                r.cron ?? '?',
                r.paused ? 'yes' : 'no',
                r.nextRun ?? '-',
                r.lastRun ? `${r.lastRun.at} ${r.lastRun.workflowId}` : '-',
              ]),
            )
          : ['No citus-lab schedules.'],
      );
    });
    result.exitCode = 0;
  });

  sub('delete', 'delete the schedule of a drilled node (runs it started keep running)')
    .addOption(nodeOption())
    .action(async (_opts, cmd: Command) => {
      const settings = readRunSettings(cmd, io.env);
      const { spec, scheduleId } = namedSchedule(cmd);
      const { deleteSchedule } = await import('./schedules.js');
      await withClient(io, settings, spec.dataDir, async (client) => {
        const deleted = await deleteSchedule(client, scheduleId);
        print(io, settings, { scheduleId, deleted }, [deleted ? `Deleted schedule ${scheduleId}.` : `No schedule ${scheduleId}: nothing to delete.`]);
      });
      result.exitCode = 0;
    });

  sub('trigger', "run a schedule's drill now (skipped while its previous run still runs)")
    .addOption(nodeOption())
    .action(async (_opts, cmd: Command) => {
      const settings = readRunSettings(cmd, io.env);
      const { spec, scheduleId, node } = namedSchedule(cmd);
      const [{ triggerSchedule }, { ScheduleNotFoundError }, { workflowUiUrl }] = await Promise.all([
        import('./schedules.js'),
        import('@temporalio/client'),
        import('../temporal/embedded.js'),
      ]);
      await withClient(io, settings, spec.dataDir, async (client) => {
        const triggered = await triggerSchedule(client, scheduleId).catch((err: unknown) => {
          if (err instanceof ScheduleNotFoundError) {
            throw new UsageError(`No schedule ${scheduleId}: create it first (citus-lab schedule ha-drill --node ${node}).`);
          }
          throw err;
        });
        const lines = triggered.started
          ? [
              `Triggered schedule ${scheduleId}: drill ${triggered.started.workflowId} started.`,
              `Web UI: ${workflowUiUrl(settings.namespace, triggered.started.workflowId, triggered.started.runId, io.env)}`,
            ]
          : triggered.alreadyRunning
            ? [`Schedule ${scheduleId} already runs drill ${triggered.alreadyRunning}: nothing started (overlap policy skip).`]
            : [`Triggered schedule ${scheduleId}; its run did not show up within 10 s (is the server busy?).`];
        print(io, settings, { scheduleId, ...triggered }, lines);
      });
      result.exitCode = 0;
    });
}
