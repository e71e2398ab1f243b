/** The `docker compose` commands the lab uses, always with its project name, file and env file. */
import fs from 'node:fs';
import { LabError } from '../../errors.js';
import type { ProgressReporter } from '../labEnvironment.js';
import { commandFailed, outputTail, runTool, type ToolResult } from '../platformTool.js';
import { PASSWORD_VARIABLE, readComposePassword } from './composeEnvFile.js';
import type { ComposeSettings } from './composeSettings.js';

export const DOCKER_INSTALL_HINT = 'install Docker with the compose plugin (https://docs.docker.com/compose/install/)';
const LOG_TAIL_LINES = 20;

export interface ComposeContainer {
  readonly service: string;
  readonly name: string;
  /** running, exited, created, restarting, ... */
  readonly state: string;
  /** healthy, unhealthy, starting, or empty without a health check. */
  readonly health: string;
}

export class ComposeCli {
  constructor(
    readonly settings: ComposeSettings,
    /** Variables the compose file reads (ports, database), passed to every run. */
    private readonly variables: Readonly<Record<string, string>>,
  ) {}

  /** The compose plugin answers (the plain docker client is not enough). */
  async version(): Promise<string> {
    const result = await runTool({ tool: 'docker', args: ['compose', 'version', '--short'], installHint: DOCKER_INSTALL_HINT, timeoutMs: 60_000 });
    if (result.exitCode !== 0) {
      if (/is not a docker command|unknown command|unknown shorthand/i.test(result.stderr + result.stdout)) {
        throw new LabError('PlatformToolMissing', `The docker compose plugin is not installed: ${DOCKER_INSTALL_HINT}, then run the command again.`);
      }
      throw commandFailed(result, 'docker compose version');
    }
    return result.stdout.trim();
  }

  async ps(): Promise<ComposeContainer[]> {
    const result = await this.run(['ps', '--all', '--format', 'json']);
    return parsePs(result.stdout);
  }

  /** Creates network, volumes and containers without starting them (pulls the image when missing). */
  async create(services: readonly string[], progress?: ProgressReporter): Promise<void> {
    await this.run(['up', '--no-start', ...services], progress);
  }

  /** Starts what is not running and waits until every service is healthy; a failure carries the services' logs. */
  async up(services: readonly string[], progress?: ProgressReporter): Promise<void> {
    const wait = String(this.settings.waitTimeoutSeconds);
    const result = await this.tool(['up', '--detach', '--wait', '--wait-timeout', wait, ...services], progress);
    if (result.exitCode === 0) return;
    const failure = classify(result, this.describe(['up']));
    if (failure.type !== 'NodeNotReady') throw failure;
    const logs = await this.tool(['logs', '--no-color', '--tail', String(LOG_TAIL_LINES), ...services]);
    throw new LabError('NodeNotReady', `${failure.message}\nLast log lines:\n${outputTail(logs, LOG_TAIL_LINES * services.length)}`, {
      details: failure.details,
    });
  }

  async stop(): Promise<void> {
    await this.run(['stop']);
  }

  async down(removeVolumes: boolean): Promise<void> {
    await this.run(['down', '--remove-orphans', ...(removeVolumes ? ['--volumes'] : [])]);
  }

  private base(): string[] {
    const { project, file, envFile } = this.settings;
    const args = ['compose', '--project-name', project, '--file', file];
    return fs.existsSync(envFile) ? [...args, '--env-file', envFile] : args;
  }

  /**
   * The password always comes from the env file, even when the shell exports another one (Compose would
   * prefer the shell's). Compose interpolates the whole file for every command, so without an env file
   * (before the first deploy, or after a failed one) even `ps` and `down` would stop at the required
   * password they never use: they get a placeholder. `up` does not, so it stops with Compose's message.
   */
  private variablesFor(args: string[]): Record<string, string> {
    if (fs.existsSync(this.settings.envFile)) {
      return { ...this.variables, [PASSWORD_VARIABLE]: readComposePassword(this.settings.envFile) };
    }
    return args[0] === 'up' ? { ...this.variables } : { ...this.variables, [PASSWORD_VARIABLE]: 'not-used-by-this-command' };
  }

  private describe(args: string[]): string {
    return `docker compose --project-name ${this.settings.project} ${args.join(' ')}`;
  }

  private tool(args: string[], progress?: ProgressReporter): Promise<ToolResult> {
    return runTool({
      tool: 'docker',
      args: [...this.base(), ...args],
      env: this.variablesFor(args),
      installHint: DOCKER_INSTALL_HINT,
      timeoutMs: (this.settings.waitTimeoutSeconds + 300) * 1000,
      progress,
    });
  }

  private async run(args: string[], progress?: ProgressReporter): Promise<ToolResult> {
    const result = await this.tool(args, progress);
    if (result.exitCode !== 0) throw classify(result, this.describe(args.slice(0, 1)));
    return result;
  }
}

/** What a failed compose run means: no engine, no plugin, unhealthy services, or just a failure. */
function classify(result: ToolResult, command: string): LabError {
  const output = result.stderr + result.stdout;
  const tail = outputTail(result);
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|error during connect/i.test(output)) {
    return new LabError('PlatformUnavailable', `The Docker engine is not running (${tail}): start Docker, then run the command again.`, {
      nonRetryable: true,
    });
  }
  if (/is not a docker command|unknown command "compose"/i.test(output)) {
    return new LabError('PlatformToolMissing', `The docker compose plugin is not installed: ${DOCKER_INSTALL_HINT}, then run the command again.`);
  }
  if (/is unhealthy|exited with code|dependency failed to start|did not become healthy|timeout/i.test(output)) {
    return new LabError('NodeNotReady', `${command} failed (exit ${result.exitCode}): ${tail}`, { details: { command, exitCode: result.exitCode } });
  }
  return commandFailed(result, command);
}

/** Compose prints one JSON object per line (v2.21+) or one JSON array (older v2). */
export function parsePs(stdout: string): ComposeContainer[] {
  const text = stdout.trim();
  if (!text) return [];
  let rows: unknown[];
  try {
    rows = text.startsWith('[') ? (JSON.parse(text) as unknown[]) : text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
  } catch {
    throw new LabError('CommandFailed', `docker compose ps printed something that is not JSON: ${text.slice(0, 200)}`);
  }
  return rows.map((row) => {
    const r = row as Record<string, unknown>;
    const text = (key: string) => (typeof r[key] === 'string' ? (r[key] as string) : '');
    return { service: text('Service'), name: text('Name'), state: text('State').toLowerCase(), health: text('Health').toLowerCase() };
  });
}
