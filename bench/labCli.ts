/** Runs citus-lab's own CLI the way a user does (a fresh process, embedded Temporal), for timing. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { freePort, stopProcess } from '../src/temporal/devServer.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

export interface LabCliRun {
  seconds: number;
  result: Record<string, unknown>;
}

export interface BenchLab {
  dataDir: string;
  basePort: number;
  temporalPort: number;
  uiPort: number;
}

export async function benchLab(workDir: string, name: string, basePort: number): Promise<BenchLab> {
  const dataDir = path.join(workDir, name);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  return { dataDir, basePort, temporalPort: await freePort(), uiPort: await freePort() };
}

/** Runs `citus-lab <command> --json` for the bench lab and returns the wall time and the result. */
export async function runLabCli(lab: BenchLab, command: string, extra: string[] = []): Promise<LabCliRun> {
  const started = performance.now();
  const { stdout, exitCode, stderr } = await execa(
    'node',
    ['--import', 'tsx', CLI, command, '--env', 'local', '--data-dir', lab.dataDir, '--base-port', String(lab.basePort), '--json', ...extra],
    {
      reject: false,
      env: { CITUS_LAB_TEMPORAL_PORT: String(lab.temporalPort), CITUS_LAB_UI_PORT: String(lab.uiPort), TEMPORAL_ADDRESS: undefined },
      extendEnv: true,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const last = stdout.trim().split('\n').pop() ?? '{}';
  const result = JSON.parse(last) as Record<string, unknown>;
  if (exitCode !== 0) throw new Error(`citus-lab ${command} failed (exit ${exitCode}): ${JSON.stringify(result.error ?? stderr.slice(-500))}`);
  return { seconds, result };
}

/** Removes the lab and stops the dev server its first command started. */
export async function disposeBenchLab(lab: BenchLab): Promise<void> {
  await runLabCli(lab, 'cleanup', ['--volumes']).catch(() => undefined);
  const pidFile = path.join(lab.dataDir, 'temporal', 'server.pid');
  if (fs.existsSync(pidFile)) {
    const { pid } = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as { pid: number };
    await stopProcess(pid);
  }
  fs.rmSync(lab.dataDir, { recursive: true, force: true });
}
