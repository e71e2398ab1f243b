/** Runs the real CLI (`node --import tsx src/cli.ts`) as a child process, as a user would. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const cliEntry = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `env` entries set to undefined are removed from the inherited environment. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...process.env };
  delete result.NODE_OPTIONS; // jest's --experimental-vm-modules is not the CLI's business
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete result[key];
    else result[key] = value;
  }
  return result;
}

/** The CLI is killed after this long (default); a run that may take longer on busy cores passes its own. */
const CLI_TIMEOUT_MS = 180_000;

export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  entry: string[] = ['--import', 'tsx', cliEntry],
  timeoutMs = CLI_TIMEOUT_MS,
): Promise<CliRun> {
  const environment = childEnv(env);
  return new Promise((resolve) => {
    execFile(process.execPath, [...entry, ...args], { cwd: repoRoot, env: environment, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      // Say so when it was the timeout: the CLI's own output then just stops, which reads like a hang.
      const killed = error?.killed ? `\nrunCli: killed with ${error.signal ?? 'a signal'} after ${timeoutMs} ms (its timeout)\n` : '';
      resolve({ code, stdout, stderr: `${stderr}${killed}` });
    });
  });
}

export interface RunningProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr matches, rejects if the process exits first or time runs out. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** Starts a script (`node --import tsx <script> ...args`) in its own process group, as a terminal would. */
export function startProcess(script: string, args: string[], env: Record<string, string | undefined> = {}): RunningProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: repoRoot,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForStderr(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(err)) {
        if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before ${pattern}:\n${err}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
