/**
 * Runs the platform's command-line tools (minikube, docker, docker compose) through execa: a missing
 * tool becomes PlatformToolMissing, a failed run a LabError carrying the tool's last stderr lines,
 * long runs report progress (Temporal heartbeats) and stop when the activity is cancelled.
 */
import { execa } from 'execa';
import { cancellationSignalIfActivity } from '../activities/activityContext.js';
import { LabError } from '../errors.js';
import type { ProgressReporter } from './labEnvironment.js';

export interface ToolRun {
  /** Executable looked up on PATH: `minikube`, `docker`. */
  readonly tool: string;
  readonly args: readonly string[];
  /** Added to this process's environment for the run. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** Called every `progressEveryMs` while the tool runs, with how long it has been running. */
  readonly progress?: ProgressReporter;
  readonly progressEveryMs?: number;
  /** How to install the tool, for the PlatformToolMissing message. */
  readonly installHint: string;
}

export interface ToolResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const TAIL_LINES = 15;

/** Runs the tool and returns its output whatever the exit code; throws only when it could not run at all. */
export async function runTool(run: ToolRun): Promise<ToolResult> {
  const label = commandLine(run);
  const started = Date.now();
  const ticker = run.progress
    ? setInterval(() => run.progress?.(`${label} (${Math.round((Date.now() - started) / 1000)} s)`), run.progressEveryMs ?? 10_000)
    : undefined;
  ticker?.unref();
  try {
    const signal = cancellationSignalIfActivity();
    const result = await execa(run.tool, [...run.args], {
      env: run.env,
      cwd: run.cwd,
      timeout: run.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      cancelSignal: signal,
      reject: false,
      stdin: 'ignore',
      stripFinalNewline: true,
    });
    if (result.isCanceled && signal?.aborted) throw signal.reason;
    if (result.failed && result.exitCode === undefined) {
      if ((result as { code?: string }).code === 'ENOENT') {
        throw new LabError(
          'PlatformToolMissing',
          `${run.tool} is not installed (not found on PATH): ${run.installHint}, then run the command again.`,
        );
      }
      if (result.timedOut) {
        throw new LabError('CommandFailed', `${label} did not finish within ${Math.round((run.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s.`, {
          details: { command: label },
        });
      }
      throw new LabError('CommandFailed', `${label} could not run: ${result.shortMessage}`, { details: { command: label } });
    }
    return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? '') };
  } finally {
    if (ticker) clearInterval(ticker);
  }
}

/** Runs the tool and fails with `failure(result)` (default: CommandFailed with its stderr) on a non-zero exit. */
export async function runToolChecked(
  run: ToolRun,
  failure: (result: ToolResult, command: string) => LabError = commandFailed,
): Promise<ToolResult> {
  const result = await runTool(run);
  if (result.exitCode !== 0) throw failure(result, commandLine(run));
  return result;
}

export function commandFailed(result: ToolResult, command: string): LabError {
  return new LabError('CommandFailed', `${command} failed (exit ${result.exitCode}): ${outputTail(result)}`, {
    details: { command, exitCode: result.exitCode },
  });
}

export function commandLine(run: Pick<ToolRun, 'tool' | 'args'>): string {
  return [run.tool, ...run.args].join(' ');
}

/** The last lines a tool wrote to stderr (stdout when stderr is empty), without colour codes. */
export function outputTail(result: Pick<ToolResult, 'stdout' | 'stderr'>, lines = TAIL_LINES): string {
  const text = (result.stderr.trim() || result.stdout.trim()).replace(ANSI_ESCAPES, '');
  if (!text) return 'no output';
  return text.split('\n').slice(-lines).join('\n');
}

// Colour and cursor sequences minikube and docker print even when not on a terminal.
const ANSI_ESCAPES = /\u001b\[[0-9;?]*[A-Za-z]/g;
