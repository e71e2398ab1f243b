/**
 * A lab on Docker Compose: one project per lab (infra/compose/docker-compose.yml), services `coordinator`
 * and `worker-<i>` whose names are what Citus metadata records, and ports published on 127.0.0.1
 * (coordinator on `basePort`, worker i on `basePort + 1 + i`) where this tool connects.
 */
import fs from 'node:fs';
import { parse } from 'yaml';
import { apiPortOf, type LabSpec } from '../../config/labSpec.js';
import { LabError, isLabError } from '../../errors.js';
import {
  nodeNames,
  type ApiEndpoint,
  type ApiStartResult,
  type ApiState,
  type Credentials,
  type LabEnvironment,
  type LabNode,
  type NodeState,
  type ProgressReporter,
  type ProvisionResult,
  type StartResult,
} from '../labEnvironment.js';
import { apiNotOnPlatform } from '../containerApi.js';
import { describePortHolder, isPortFree } from '../local/ports.js';
import { runToolChecked } from '../platformTool.js';
import { ComposeCli, DOCKER_INSTALL_HINT, type ComposeContainer } from './composeCli.js';
import { crashContainer } from './containerCrash.js';
import { ensureEnvFile, readComposePassword } from './composeEnvFile.js';
import { readComposeSettings, type ComposeSettings } from './composeSettings.js';

const LOOPBACK = '127.0.0.1';
const POSTGRES_PORT = 5432;
const SUPERUSER = 'postgres';
/** The FHIR API's service (infra/compose/docker-compose.yml), published on 127.0.0.1:<api port>. */

export class ComposeEnvironment implements LabEnvironment {
  readonly kind = 'compose' as const;
  readonly settings: ComposeSettings;
  readonly compose: ComposeCli;

  constructor(
    readonly spec: LabSpec,
    settings?: Partial<ComposeSettings>,
  ) {
    this.settings = { ...readComposeSettings(spec), ...settings };
    this.compose = new ComposeCli(this.settings, this.variables());
  }

  nodes(): LabNode[] {
    return nodeNames(this.spec).map((name, index) => ({
      name,
      role: index === 0 ? 'coordinator' : 'worker',
      host: LOOPBACK,
      port: this.spec.basePort + index,
      clusterHost: name,
      clusterPort: POSTGRES_PORT,
    }));
  }

  /** Docker with the compose plugin, a running engine, a compose file with enough workers, free ports. */
  async preflight(): Promise<void> {
    await runToolChecked({ tool: 'docker', args: ['--version'], installHint: DOCKER_INSTALL_HINT, timeoutMs: 60_000 });
    await this.compose.version();
    this.assertServicesDefined();
    if (fs.existsSync(this.settings.envFile)) readComposePassword(this.settings.envFile);
    const containers = await this.compose.ps();
    for (const node of this.nodes()) {
      if (isRunning(containers.find((c) => c.service === node.name))) continue;
      if (await isPortFree(node.port)) continue;
      throw new LabError(
        'PortInUse',
        `Port ${node.port} (for node ${node.name}) is already in use by ${describePortHolder(node.port) ?? 'another process'}: ` +
          'stop it, or choose other ports with --base-port.',
        { details: { port: node.port, node: node.name } },
      );
    }
  }

  /** The env file (generated password when missing), then network, volumes and containers, not started. */
  async provision(progress: ProgressReporter = () => {}): Promise<ProvisionResult> {
    this.assertServicesDefined();
    if (ensureEnvFile(this.settings.envFile)) progress(`wrote ${this.settings.envFile}`);
    const before = await this.compose.ps();
    await this.compose.create(this.services(), progress);
    const existed = (name: string) => before.some((c) => c.service === name);
    const names = nodeNames(this.spec);
    return { created: names.filter((n) => !existed(n)), existing: names.filter(existed) };
  }

  async startNodes(progress: ProgressReporter = () => {}): Promise<StartResult> {
    readComposePassword(this.settings.envFile);
    const before = await this.compose.ps();
    await this.compose.up(this.services(), progress);
    const wasRunning = (name: string) => isRunning(before.find((c) => c.service === name));
    const names = nodeNames(this.spec);
    return { started: names.filter((n) => !wasRunning(n)), alreadyRunning: names.filter(wasRunning) };
  }

  async stopNodes(): Promise<void> {
    await this.compose.stop();
  }

  async credentials(): Promise<Credentials> {
    return { user: SUPERUSER, password: readComposePassword(this.settings.envFile) };
  }

  async status(): Promise<NodeState[]> {
    const containers = await this.compose.ps();
    return nodeNames(this.spec).map((name) => {
      const c = containers.find((x) => x.service === name);
      if (!c) return { name, running: false, detail: 'no container' };
      return { name, running: isRunning(c), detail: `${c.state}${c.health ? ` (${c.health})` : ''}` };
    });
  }

  /** Not yet: see containerApi.ts. The compose file defines the `api` service for when it can. */
  async startApi(): Promise<ApiStartResult> {
    throw apiNotOnPlatform('compose');
  }

  async openApiEndpoint(): Promise<ApiEndpoint> {
    throw apiNotOnPlatform('compose');
  }

  async apiState(): Promise<ApiState> {
    return { url: `http://${LOOPBACK}:${apiPortOf(this.spec)}`, running: false, detail: 'not run on compose yet (api serve --env compose serves it)' };
  }

  /**
   * A crash: SIGKILL of the container's main process from the host. Docker's restart policy
   * (`restart: unless-stopped`) brings it back, as it would after a real crash; `docker compose kill`
   * would be a manual stop, which that policy leaves down.
   */
  async injectFault(nodeName: string): Promise<void> {
    const names = nodeNames(this.spec);
    if (!names.includes(nodeName)) {
      throw new LabError('UnknownNode', `Unknown node "${nodeName}": this lab has ${names.join(', ')}.`);
    }
    const container = (await this.compose.ps()).find((c) => c.service === nodeName);
    if (!container || container.state !== 'running') return; // already down: the fault is in place
    await crashContainer(container.name);
  }

  /** `docker compose down`, with `--volumes` only when asked; without Docker there is nothing to remove. */
  async teardown(options: { removeData: boolean }): Promise<void> {
    try {
      await this.compose.version();
    } catch (err) {
      if (isLabError(err) && err.type === 'PlatformToolMissing') return;
      throw err;
    }
    await this.compose.down(options.removeData);
  }

  private services(): string[] {
    return nodeNames(this.spec);
  }

  /** The compose file reads these: ports from --base-port, the database name, the image when not the default. */
  private variables(): Record<string, string> {
    const vars: Record<string, string> = {
      CITUS_LAB_COORDINATOR_PORT: String(this.spec.basePort),
      CITUS_LAB_API_PORT: String(apiPortOf(this.spec)),
      CITUS_LAB_DATABASE: this.spec.database,
      ...(this.settings.image ? { CITUS_LAB_COMPOSE_IMAGE: this.settings.image } : {}),
    };
    for (let i = 0; i < this.spec.workers; i++) vars[`CITUS_LAB_WORKER_${i}_PORT`] = String(this.spec.basePort + 1 + i);
    return vars;
  }

  private assertServicesDefined(): void {
    let defined: string[];
    try {
      const doc = parse(fs.readFileSync(this.settings.file, 'utf8'), { merge: true }) as { services?: Record<string, unknown> } | null;
      defined = Object.keys(doc?.services ?? {});
    } catch (err) {
      throw new LabError(
        'ConfigInvalid',
        `The compose file ${this.settings.file} cannot be read (${err instanceof Error ? err.message : String(err)}): ` +
          'restore infra/compose/ or set CITUS_LAB_COMPOSE_FILE.',
        { cause: err },
      );
    }
    const missing = this.services().filter((s) => !defined.includes(s));
    if (missing.length > 0) {
      const workers = defined.filter((s) => /^worker-\d+$/.test(s)).length;
      throw new LabError(
        'ConfigInvalid',
        `The compose file ${this.settings.file} has no service ${missing.join(', ')}: it defines ${workers} workers, so use ` +
          `--workers ${workers}, or add the services (copy worker-1 with its own port and volume).`,
      );
    }
  }
}

function isRunning(container: ComposeContainer | undefined): boolean {
  return container?.state === 'running' && (container.health === '' || container.health === 'healthy');
}
