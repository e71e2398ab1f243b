/** The minikube commands the lab uses, each one `minikube ... --profile <p>` through execa. */
import { LabError } from '../../errors.js';
import type { ProgressReporter } from '../labEnvironment.js';
import { commandFailed, outputTail, runTool, runToolChecked, type ToolResult } from '../platformTool.js';
import type { MinikubeSettings } from './minikubeSettings.js';

export const MINIKUBE_INSTALL_HINT = 'install minikube (https://minikube.sigs.k8s.io/docs/start/)';

export type MinikubeState =
  | { readonly state: 'running' }
  | { readonly state: 'stopped'; readonly detail: string }
  | { readonly state: 'absent' };

/** minikube's "profile not found" exit code. */
const PROFILE_NOT_FOUND = 85;
/** minikube start refusals that no retry fixes: resources, usage, driver and provider problems. */
const HOPELESS_REASON = /^(RSRC_|MK_USAGE|DRV_|PROVIDER_|GUEST_DRIVER_MISMATCH)/;
const START_TIMEOUT_MS = 15 * 60_000;

export class MinikubeCli {
  constructor(readonly profile: string) {}

  async version(): Promise<string> {
    const result = await this.run(['version', '--short']);
    return result.stdout.trim();
  }

  async status(): Promise<MinikubeState> {
    const result = await runTool({
      tool: 'minikube',
      args: ['status', '--profile', this.profile, '--output', 'json'],
      installHint: MINIKUBE_INSTALL_HINT,
      timeoutMs: 60_000,
    });
    if (result.exitCode === PROFILE_NOT_FOUND) return { state: 'absent' };
    const parts = parseStatus(result.stdout);
    if (!parts) {
      if (/not found/i.test(result.stdout + result.stderr)) return { state: 'absent' };
      throw commandFailed(result, `minikube status --profile ${this.profile}`);
    }
    const running = parts.every((p) => p.Host === 'Running' && p.Kubelet === 'Running' && (p.APIServer ?? 'Running') === 'Running');
    if (running) return { state: 'running' };
    const detail = parts.map((p) => `host ${p.Host ?? '?'}, kubelet ${p.Kubelet ?? '?'}, apiserver ${p.APIServer ?? '?'}`).join('; ');
    return { state: 'stopped', detail };
  }

  async start(settings: Pick<MinikubeSettings, 'cpus' | 'memory' | 'driver'>, progress?: ProgressReporter): Promise<void> {
    const args = ['start', '--profile', this.profile, `--cpus=${settings.cpus}`, `--memory=${settings.memory}`];
    if (settings.driver) args.push(`--driver=${settings.driver}`);
    await runToolChecked({ tool: 'minikube', args, installHint: MINIKUBE_INSTALL_HINT, timeoutMs: START_TIMEOUT_MS, progress }, startFailure);
  }

  async imageList(): Promise<string[]> {
    const result = await this.run(['image', 'ls', '--profile', this.profile]);
    return result.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  }

  async imageLoad(image: string, progress?: ProgressReporter): Promise<void> {
    await this.run(['image', 'load', image, '--profile', this.profile], progress);
  }

  async delete(): Promise<void> {
    await this.run(['delete', '--profile', this.profile]);
  }

  private run(args: string[], progress?: ProgressReporter): Promise<ToolResult> {
    return runToolChecked({ tool: 'minikube', args, installHint: MINIKUBE_INSTALL_HINT, progress });
  }
}

interface StatusPart {
  Host?: string;
  Kubelet?: string;
  APIServer?: string;
}

/** One JSON object per node; multi-node profiles print an array. */
function parseStatus(stdout: string): StatusPart[] | undefined {
  try {
    const parsed: unknown = JSON.parse(stdout.trim());
    const parts = Array.isArray(parsed) ? parsed : [parsed];
    return parts.every((p) => typeof p === 'object' && p !== null && 'Host' in p) ? (parts as StatusPart[]) : undefined;
  } catch {
    return undefined;
  }
}

function startFailure(result: ToolResult, command: string): LabError {
  const reason = /Exiting due to ([A-Z][A-Z0-9_]+)/.exec(result.stderr + result.stdout)?.[1];
  const message = `${command} failed (exit ${result.exitCode}${reason ? `, ${reason}` : ''}): ${outputTail(result)}`;
  if (reason && HOPELESS_REASON.test(reason)) {
    return new LabError('PlatformUnavailable', `${message}\nFix what minikube says (CITUS_LAB_MINIKUBE_CPUS, _MEMORY, _DRIVER), then deploy again.`, {
      nonRetryable: true,
      details: { command, exitCode: result.exitCode, reason },
    });
  }
  return new LabError('CommandFailed', message, { details: { command, exitCode: result.exitCode, reason } });
}
