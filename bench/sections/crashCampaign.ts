/**
 * Crash-resume campaign (issue 11): `npm run bench -- --only crash-campaign --trials N`. N trials of a
 * deploy, N/2 of a drain and N/2 of an HA drill: each starts the real CLI (its in-process worker runs
 * the activities), SIGKILLs that process at a random moment of the run, then runs the same command
 * again. A trial passes when the re-run exits 0 with a PASS result, the first run is the one that
 * completed (the re-run attached to it), every activity scheduled in its history (and its children's)
 * completed exactly once, and no activity type was scheduled more often than in an uncrashed run of
 * the same command (no step done twice). Not a timed assertion: it prints the tally and resume times.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import pg from 'pg';
import { parseLabSpec } from '../../src/config/labSpec.js';
import { LocalEnvironment } from '../../src/environments/local/localEnvironment.js';
import { freePort, startDevServer, stopProcess } from '../../src/temporal/devServer.js';
import { labWorkflowId, type LabOperation } from '../../src/workflows/inputs.js';
import { spread, type BenchContext, type BenchFigure, type BenchSection } from '../types.js';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

interface CliOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

interface Campaign {
  address: string;
  dataDir: string;
  client: Client;
  log(line: string): void;
}

interface Lab {
  cluster: string;
  basePort: number;
}

/** One CLI process; `killAfterStartMs` SIGKILLs it that long after it printed the run it follows. */
function runCli(c: Campaign, lab: Lab, args: string[], killAfterStartMs?: number): Promise<CliOutcome & { killedAt?: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TEMPORAL_ADDRESS: c.address };
  delete env.NODE_OPTIONS;
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, ...args, '--env', 'local', '--cluster', lab.cluster, '--data-dir', c.dataDir, '--base-port', String(lab.basePort), '--json'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let killedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (killAfterStartMs !== undefined && timer === undefined && /(Started|Attached to running) workflow/.test(stderr)) {
      timer = setTimeout(() => {
        if (child.exitCode === null) killedAt = Date.now();
        child.kill('SIGKILL');
      }, killAfterStartMs);
    }
  });
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000, killedAt });
    }),
  );
}

function runIdOf(stderr: string): string | undefined {
  return /(?:Started|Attached to running) workflow \S+ \(run (\S+)\)/.exec(stderr)?.[1];
}

function lastJson(stdout: string): Record<string, unknown> {
  try {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Activity counts of a run and its children: scheduled per type, and scheduled activities not completed exactly once. */
async function activityLedger(c: Campaign, workflowId: string, runId?: string): Promise<{ byType: Map<string, number>; notOnce: string[]; retried: number }> {
  const byType = new Map<string, number>();
  const notOnce: string[] = [];
  let retried = 0;
  const visit = async (id: string, run?: string) => {
    const history = await c.client.workflow.getHandle(id, run).fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    const scheduled = new Map<string, string>();
    const completed = new Map<string, number>();
    for (const e of events) {
      const eventId = String(e.eventId);
      if (e.activityTaskScheduledEventAttributes) {
        const type = e.activityTaskScheduledEventAttributes.activityType?.name ?? '?';
        scheduled.set(eventId, type);
        byType.set(type, (byType.get(type) ?? 0) + 1);
      }
      if (e.activityTaskCompletedEventAttributes) {
        const key = String(e.activityTaskCompletedEventAttributes.scheduledEventId);
        completed.set(key, (completed.get(key) ?? 0) + 1);
      }
      if (e.activityTaskStartedEventAttributes && (e.activityTaskStartedEventAttributes.attempt ?? 1) > 1) retried += 1;
      const child = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (child?.workflowId) await visit(child.workflowId, child.runId ?? undefined);
    }
    for (const [eventId, type] of scheduled) if (completed.get(eventId) !== 1) notOnce.push(`${id}: ${type} (event ${eventId}) completed ${completed.get(eventId) ?? 0} times`);
  };
  await visit(workflowId, runId);
  return { byType, notOnce, retried };
}

interface Operation {
  label: string;
  operation: LabOperation;
  args: string[];
  /** Puts the lab back where a trial starts from (after a drain: the shards back on the worker). */
  reset?(lab: Lab): Promise<void>;
  /** A fresh lab per trial (deploy) or the campaign's deployed one. */
  lab(trial: number): Lab;
  dispose?(lab: Lab): Promise<void>;
}

interface Tally {
  label: string;
  trials: number;
  passed: number;
  notKilled: number;
  resumeSeconds: number[];
  retriedActivities: number;
  failures: string[];
}

async function campaign(c: Campaign, op: Operation, trials: number): Promise<Tally> {
  // The uncrashed reference: how long a run lasts (kill moments are drawn from it) and its activities.
  const refLab = op.lab(0);
  const reference = await runCli(c, refLab, op.args);
  if (reference.code !== 0) throw new Error(`reference ${op.label} failed (exit ${reference.code}): ${reference.stderr.slice(-800)}`);
  const refId = labWorkflowId({ env: 'local', cluster: refLab.cluster }, op.operation);
  const refLedger = await activityLedger(c, refId, runIdOf(reference.stderr));
  // Kill moments fall within the run's own span (the reference minus start-up and shutdown).
  const runMs = Math.max(1000, reference.seconds * 800 - 3000);
  await op.reset?.(refLab);
  if (op.dispose) await op.dispose(refLab);

  const tally: Tally = { label: op.label, trials, passed: 0, notKilled: 0, resumeSeconds: [], retriedActivities: 0, failures: [] };
  for (let trial = 1; trial <= trials; trial++) {
    const lab = op.lab(trial);
    const killAt = Math.round(Math.random() * runMs);
    const first = await runCli(c, lab, op.args, killAt);
    const firstRun = runIdOf(first.stderr);
    const again = await runCli(c, lab, op.args);
    const problems: string[] = [];
    const result = lastJson(again.stdout);
    if (again.code !== 0) problems.push(`re-run exit ${again.code}: ${JSON.stringify(result.error ?? again.stderr.slice(-300))}`);
    if (result.status !== undefined && result.status !== 'PASS') problems.push(`result ${String(result.status)}`);
    const workflowId = labWorkflowId({ env: 'local', cluster: lab.cluster }, op.operation);
    // A kill that came after the run had closed (the CLI was only shutting down) tested no crash.
    let crashed = first.killedAt !== undefined;
    if (firstRun) {
      const description = await c.client.workflow.getHandle(workflowId, firstRun).describe();
      if (description.status.name !== 'COMPLETED') problems.push(`first run ${firstRun} is ${description.status.name}`);
      if (crashed && description.closeTime && description.closeTime.getTime() <= (first.killedAt ?? 0)) crashed = false;
      const rerun = runIdOf(again.stderr);
      if (crashed && (rerun !== firstRun || !/Attached/.test(again.stderr))) problems.push(`re-run followed ${rerun}, not ${firstRun}`);
      const ledger = await activityLedger(c, workflowId, firstRun);
      problems.push(...ledger.notOnce);
      for (const [type, count] of ledger.byType) {
        const expected = refLedger.byType.get(type) ?? 0;
        if (count > expected) problems.push(`${type} scheduled ${count} times, ${expected} in an uncrashed run`);
      }
      tally.retriedActivities += ledger.retried;
    } else if (crashed) {
      problems.push('killed before the run was started (no run id printed)');
    }
    if (!crashed) tally.notKilled += 1;
    if (problems.length === 0) {
      tally.passed += 1;
      tally.resumeSeconds.push(again.seconds);
    } else {
      tally.failures.push(`trial ${trial} (kill at ${killAt} ms): ${problems.join('; ')}`);
    }
    c.log(`crash-campaign ${op.label} trial ${trial}/${trials}: kill at ${killAt} ms${crashed ? '' : ' (run had ended)'}, re-run ${again.seconds.toFixed(1)} s: ${problems.length ? `FAIL ${problems.join('; ')}` : 'ok'}`);
    await op.reset?.(lab);
    if (op.dispose) await op.dispose(lab);
  }
  return tally;
}

/** Puts worker-1's share of shards back (blocking moves, not what is measured) after a drain. */
async function undrain(c: Campaign, lab: Lab): Promise<void> {
  const spec = parseLabSpec({ env: 'local', cluster: lab.cluster, dataDir: c.dataDir, basePort: lab.basePort, workers: 2 });
  const env = new LocalEnvironment(spec);
  const { user, password } = await env.credentials();
  const coordinator = env.nodes()[0]!;
  const client = new pg.Client({ host: coordinator.host, port: coordinator.port, user, password, database: spec.database });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`UPDATE pg_dist_node SET shouldhaveshards = true WHERE noderole = 'primary' AND groupid <> 0`);
    await client.query(`SELECT citus_rebalance_start(shard_transfer_mode := 'block_writes')`).catch(() => undefined);
    await client.query('SELECT citus_rebalance_wait()');
  } finally {
    await client.end().catch(() => undefined);
  }
}

const CAMPAIGN_OPS = ['deploy', 'drain', 'ha-drill'];

export const crashCampaignSection: BenchSection = {
  name: 'crash-campaign',
  usesBaseline: false,
  async run(ctx: BenchContext): Promise<BenchFigure[]> {
    const deployTrials = ctx.trials ?? 20;
    const otherTrials = Math.max(1, Math.round(deployTrials / 2));
    const dataDir = path.join(ctx.workDir, 'crash');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    const server = await startDevServer({
      address: `127.0.0.1:${await freePort()}`,
      logFile: path.join(ctx.workDir, 'crash-temporal.log'),
      headless: true,
      startTimeoutMs: 90_000,
    });
    const connection = await Connection.connect({ address: server.address });
    const c: Campaign = { address: server.address, dataDir, client: new Client({ connection }), log: ctx.log };
    const shared: Lab = { cluster: 'crash', basePort: ctx.basePort };
    const cleanup = async (lab: Lab) => {
      await runCli(c, lab, ['cleanup', '--volumes']);
    };
    const ops = new Set(ctx.campaignOps ?? CAMPAIGN_OPS);
    for (const op of ops) if (!CAMPAIGN_OPS.includes(op)) throw new Error(`--campaign-ops: unknown operation ${op} (${CAMPAIGN_OPS.join(', ')})`);
    try {
      const tallies: Tally[] = [];
      // The drills run on the deploy campaign's reference lab; without the deploy trials, a plain deploy makes it.
      if (!ops.has('deploy')) {
        const deployed = await runCli(c, shared, ['deploy']);
        if (deployed.code !== 0) throw new Error(`deploy of the campaign's lab failed (exit ${deployed.code}): ${deployed.stderr.slice(-800)}`);
      }
      if (ops.has('deploy')) tallies.push(
        await campaign(
          c,
          {
            label: 'deploy',
            operation: 'deploy',
            args: ['deploy'],
            // Trials deploy labs of their own on the next ports; the reference (trial 0) stays for the drills.
            lab: (trial) => (trial === 0 ? shared : { cluster: `crash-d${trial}`, basePort: ctx.basePort + 4 }),
            dispose: async (lab) => (lab === shared ? undefined : cleanup(lab)),
          },
          deployTrials,
        ),
      );
      if (ops.has('drain')) tallies.push(
        await campaign(
          c,
          { label: 'drain', operation: 'drain-worker-1', args: ['drain', '--node', 'worker-1'], lab: () => shared, reset: (lab) => undrain(c, lab) },
          otherTrials,
        ),
      );
      if (ops.has('ha-drill')) tallies.push(
        await campaign(c, { label: 'ha-drill', operation: 'ha-drill-worker-0', args: ['ha-drill', '--node', 'worker-0'], lab: () => shared }, otherTrials),
      );
      await cleanup(shared);

      const total = tallies.reduce((n, t) => n + t.trials, 0);
      const passed = tallies.reduce((n, t) => n + t.passed, 0);
      console.log(`\ncrash-resume campaign: ${passed}/${total} trials passed`);
      for (const t of tallies) {
        console.log(
          `  ${t.label}: ${t.passed}/${t.trials} passed (${t.notKilled} runs had ended before their kill moment; ${t.retriedActivities} activity attempts retried after a kill)`,
        );
        for (const failure of t.failures) console.log(`    ${failure}`);
      }
      return tallies
        .filter((t) => t.resumeSeconds.length > 0)
        .map((t) => ({
          name: `crash-resume campaign, ${t.label}: re-run after SIGKILL to completed run (${t.passed}/${t.trials} trials passed)`,
          unit: 's' as const,
          ours: spread(t.resumeSeconds),
          note: t.failures.join(' | ') || undefined,
        }));
    } finally {
      await connection.close().catch(() => undefined);
      await stopProcess(server.pid);
    }
  },
};
