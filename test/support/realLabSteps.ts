/**
 * The steps the container suites (compose, the real Kubernetes node) walk through a user's way: one lab,
 * the CLI in its own process, each step building on the one before. What each environment checks of
 * its own (containers, pods, volumes) stays in its file; what a PASS of each command means is here once.
 */
import { expect } from '@jest/globals';
import { runCli, type CliRun } from '../cli/runCli.js';

/** One CLI run may take minutes on 2 busy cores (a drain took 188 s at load 27); each test allows a bit more. */
export const REAL_CLI_TIMEOUT_MS = 540_000;
export const REAL_TEST_TIMEOUT_MS = 600_000;
export const REAL_LAB_NODES = ['coordinator', 'worker-0', 'worker-1'];

export type LabCliRun = CliRun & { result: Record<string, unknown> };
export type LabCli = (args: string[]) => Promise<LabCliRun>;

/** The CLI's result: its last JSON line ({} when there is none, e.g. when it was killed: code and stderr say why). */
export function lastJson(stdout: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as Record<string, unknown>) : {};
}

/** The lab's CLI with the suite's own arguments and environment; a failed run prints its stderr (and `context()`). */
export function labCli(options: { labArgs: () => string[]; env: () => Record<string, string | undefined>; context?: () => string }): LabCli {
  return async (args) => {
    const run = await runCli([...args, ...options.labArgs()], options.env(), undefined, REAL_CLI_TIMEOUT_MS);
    if (run.code !== 0) process.stderr.write(`${args.join(' ')} exited ${run.code}:\n${run.stderr.slice(-3000)}${options.context?.() ?? ''}\n`);
    return { ...run, result: lastJson(run.stdout) };
  };
}

/** deploy ends PASS, then status shows every node running; prints how long the deploy took. */
export async function deployAndExpectRunning(cli: LabCli, label: string): Promise<void> {
  const started = Date.now();
  const deploy = await cli(['deploy', '--patients', '200']);
  expect(deploy.code).toBe(0);
  expect(deploy.result.status).toBe('PASS');
  process.stderr.write(`${label} deploy: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  const status = await cli(['status']);
  expect(status.code).toBe(0);
  const nodes = (status.result as { nodes: Array<{ name: string; running: boolean }> }).nodes;
  expect(nodes.map((n) => [n.name, n.running])).toEqual(REAL_LAB_NODES.map((n) => [n, true]));
}

/** A second deploy ends PASS having registered, created and loaded nothing. */
export async function redeployExpectUnchanged(cli: LabCli): Promise<void> {
  const again = await cli(['deploy', '--patients', '200']);
  expect(again.code).toBe(0);
  expect(again.result.status).toBe('PASS');
  const result = again.result as { registration: { unchanged: boolean }; schema: { created: string[] }; load: { skipped: boolean } };
  expect(result.registration.unchanged).toBe(true);
  expect(result.schema.created).toEqual([]);
  expect(result.load.skipped).toBe(true);
}

/** `ha-drill --node <node>` ends PASS with writes committed and none lost; prints its metrics. */
export async function drillExpectPass(cli: LabCli, node: string, label: string): Promise<void> {
  const drill = await cli(['ha-drill', '--node', node]);
  expect(drill.code).toBe(0);
  const result = drill.result as { status: string; metrics: Record<string, unknown>; after?: { writes: { committed: number; lost: number } } };
  expect(result.status).toBe('PASS');
  expect(result.after?.writes.committed).toBeGreaterThan(0);
  expect(result.after?.writes.lost).toBe(0);
  process.stderr.write(`${label} ha-drill metrics: ${JSON.stringify(result.metrics)}\n`);
}

export async function testCompleteExpectPass(cli: LabCli): Promise<void> {
  const suite = await cli(['test', 'complete']);
  expect(suite.code).toBe(0);
  expect(suite.result.status).toBe('PASS');
}

/** `drain --node <node>` ends PASS, the data proven unchanged, and the node held shards before and none after. */
export async function drainExpectEmptied(cli: LabCli, node: string): Promise<void> {
  const drain = await cli(['drain', '--node', node]);
  expect(drain.code).toBe(0);
  const result = drain.result as { status: string; proof?: { ok: boolean; placementsBefore: Record<string, number>; placementsAfter: Record<string, number> } };
  expect(result.status).toBe('PASS');
  expect(result.proof?.ok).toBe(true);
  const on = (placements: Record<string, number> = {}) =>
    Object.entries(placements).filter(([name]) => name === node || name.startsWith(`${node}:`)).reduce((sum, [, n]) => sum + n, 0);
  expect(on(result.proof?.placementsBefore)).toBeGreaterThan(0);
  expect(on(result.proof?.placementsAfter)).toBe(0);
}
