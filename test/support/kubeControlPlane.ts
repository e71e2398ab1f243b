/**
 * A real Kubernetes control plane on loopback for tests, without Docker: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and kwok (fake nodes and pod status; no container runs), all
 * started by `kwokctl --runtime binary` from the binaries that scripts/k8s-test-tools.sh builds.
 *
 * Where those binaries are absent (a fresh machine that never ran the script), tests say so in one line
 * and skip instead of failing.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { isExecutable } from '../../src/environments/local/pgBinaries.js';

/** Keep in step with scripts/k8s-test-tools.sh; both honour CITUS_LAB_KUBE_VERSION. */
export const KUBE_VERSION = process.env.CITUS_LAB_KUBE_VERSION ?? 'v1.36.1';

const REQUIRED_BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok',
  'kwokctl',
] as const;

/** Every port kwokctl would otherwise pick itself for the components started here. */
const KWOKCTL_PORT_OPTIONS = [
  'kubeApiserverPort',
  'etcdPort',
  'etcdPeerPort',
  'kwokControllerPort',
  'kubeControllerManagerPort',
  'kubeSchedulerPort',
] as const;

export interface KubeToolsAvailability {
  readonly binDir: string;
  readonly installed: boolean;
  /** Why not, when not installed. */
  readonly reason: string;
}

export interface ControlPlane {
  /** Admin kubeconfig (client certificate) for the cluster; lives in the temp dir `stop()` removes. */
  readonly kubeconfigPath: string;
  /** API server URL, always on 127.0.0.1. */
  readonly server: string;
  /** The fake node kwok keeps Ready, so pods get scheduled and become Ready ('' with `fakeNode: false`). */
  readonly nodeName: string;
  readonly kubeConfig: KubeConfig;
  /** Stops every component and removes the temp dir; safe to call twice. */
  stop(): Promise<void>;
}

/** Where scripts/k8s-test-tools.sh puts the binaries; CITUS_LAB_KUBE_TOOLS_BIN names another directory. */
export function kubeToolsBinDir(): string {
  const explicit = process.env.CITUS_LAB_KUBE_TOOLS_BIN;
  if (explicit) return explicit;
  const toolsDir = process.env.CITUS_LAB_TOOLS_DIR ?? path.join(os.homedir(), '.cache', 'citus-lab', 'tools');
  return path.join(toolsDir, `k8s-${KUBE_VERSION}`, 'bin');
}

let cached: KubeToolsAvailability | undefined;

export function kubeToolsAvailability(): KubeToolsAvailability {
  if (cached) return cached;
  const binDir = kubeToolsBinDir();
  const missing = REQUIRED_BINARIES.filter((name) => !isExecutable(path.join(binDir, name)));
  cached =
    missing.length === 0
      ? { binDir, installed: true, reason: '' }
      : {
          binDir,
          installed: false,
          reason: `no ${missing.join(', ')} in ${binDir}: run scripts/k8s-test-tools.sh to build them`,
        };
  return cached;
}

const announced = new Set<string>();

/** `describe` when the control-plane binaries are built; otherwise one `SKIP` line and `describe.skip`. */
export function describeIfKubeTools(name: string, fn: () => void): void {
  const { installed, reason } = kubeToolsAvailability();
  if (installed) {
    describe(name, fn);
    return;
  }
  if (!announced.has(name)) {
    announced.add(name);
    process.stderr.write(`SKIP ${name}: no Kubernetes control plane (${reason})\n`);
  }
  describe.skip(name, fn);
}

export interface StartControlPlaneOptions {
  /** Upper bound for the whole start, node Ready included. Two busy cores: be generous. */
  readonly timeoutMs?: number;
  /** A fake kwok node (default true); without it pods wait for a real node to join (test/support/kubeNode.ts). */
  readonly fakeNode?: boolean;
}

/**
 * Starts a fresh cluster under a new temp dir and waits until its fake node is Ready and the default
 * service account exists. Resolves to `null` when the binaries are absent (see `kubeToolsAvailability()`
 * for the reason).
 */
export async function startControlPlane(options: StartControlPlaneOptions = {}): Promise<ControlPlane | null> {
  const tools = kubeToolsAvailability();
  if (!tools.installed) return null;
  const timeoutMs = options.timeoutMs ?? 180_000;
  const deadline = Date.now() + timeoutMs;

  // Every component listens on loopback only (kwokctl's default is 0.0.0.0), on ports the kernel handed
  // out: kwokctl's own picker counts down from 32767 and races with a cluster another test file starts.
  const ports = await freePorts(KWOKCTL_PORT_OPTIONS.length);
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-kwok-'));
  const name = `citus-lab-${randomBytes(4).toString('hex')}`;
  const clusterDir = path.join(workdir, 'clusters', name);
  const bin = (b: (typeof REQUIRED_BINARIES)[number]): string => path.join(tools.binDir, b);
  const env = {
    // kwokctl keeps clusters, pid files, logs and its download cache here, never in ~/.kwok.
    KWOK_WORKDIR: workdir,
    KWOK_KUBE_VERSION: KUBE_VERSION,
  };
  const configPath = path.join(workdir, 'kwokctl.yaml');
  fs.writeFileSync(
    configPath,
    [
      'apiVersion: config.kwok.x-k8s.io/v1alpha1',
      'kind: KwokctlConfiguration',
      'options:',
      '  bindAddress: 127.0.0.1',
      ...KWOKCTL_PORT_OPTIONS.map((option, i) => `  ${option}: ${ports[i]}`),
      // A real node's kubelet is reached at its InternalIP: its hostname resolves nowhere here.
      ...(options.fakeNode ?? true
        ? []
        : ['componentsPatches:', '  - name: kube-apiserver', '    extraArgs:', '      - key: kubelet-preferred-address-types', '        value: InternalIP']),
      '',
    ].join('\n'),
  );

  const kwokctl = (args: string[], timeout: number) =>
    execa(bin('kwokctl'), ['--config', configPath, ...args], { env, timeout, all: true, stdin: 'ignore' });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    try {
      await kwokctl(['delete', 'cluster', '--name', name], 60_000);
    } catch {
      // kwokctl could not stop them (a half-created cluster): end the processes it recorded.
    }
    killRecordedProcesses(clusterDir);
    fs.rmSync(workdir, { recursive: true, force: true });
  };
  // A test process that ends without stop() must not leave an API server (or its temp dir) behind.
  const killOnExit = (): void => {
    killRecordedProcesses(clusterDir);
    fs.rmSync(workdir, { recursive: true, force: true });
  };
  process.on('exit', killOnExit);

  try {
    const remaining = (): number => Math.max(5_000, deadline - Date.now());
    await kwokctl(
      [
        'create',
        'cluster',
        '--name',
        name,
        '--runtime',
        'binary',
        '--etcd-binary',
        bin('etcd'),
        '--kube-apiserver-binary',
        bin('kube-apiserver'),
        '--kube-controller-manager-binary',
        bin('kube-controller-manager'),
        '--kube-scheduler-binary',
        bin('kube-scheduler'),
        '--kwok-controller-binary',
        bin('kwok'),
        // Empty: do not add a context to the user's ~/.kube/config.
        '--kubeconfig',
        '',
        '--disable-qps-limits',
        '--wait',
        `${Math.round(remaining() / 1000)}s`,
      ],
      remaining(),
    );
    const kubeconfigPath = path.join(clusterDir, 'kubeconfig.yaml');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const server = kubeConfig.getCurrentCluster()?.server;
    if (!server) throw new Error(`kwokctl wrote no cluster server into ${kubeconfigPath}`);

    const core = kubeConfig.makeApiClient(CoreV1Api);
    let node = '';
    if (options.fakeNode ?? true) {
      await kwokctl(['scale', 'node', '--name', name, '--replicas', '1'], remaining());
      const nodes = await core.listNode();
      node = nodes.items[0]?.metadata?.name ?? '';
      if (!node) throw new Error('kwokctl scale node created no node');
      await waitFor(`node ${node} Ready`, deadline, async () => {
        const n = await core.readNode({ name: node });
        return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      });
    }
    // Pod creation fails until the service-account controller made the namespace's default account.
    await waitFor('default service account', deadline, async () => {
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    });
    return { kubeconfigPath, server, nodeName: node, kubeConfig, stop };
  } catch (err) {
    const logs = componentLogTails(clusterDir);
    await stop();
    const detail = err instanceof Error ? err.message : String(err);
    throw new Error(`the Kubernetes control plane did not start: ${detail}${logs}`);
  }
}

async function waitFor(what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const why = last instanceof Error ? ` (last error: ${last.message})` : '';
  throw new Error(`timed out waiting for ${what}${why}`);
}

/** Distinct free loopback ports: all listeners stay open until every port is known. */
async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      ports.push((server.address() as net.AddressInfo).port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** kwokctl writes one pid file per component under <cluster>/pids. */
function killRecordedProcesses(clusterDir: string): void {
  const pidsDir = path.join(clusterDir, 'pids');
  let files: string[];
  try {
    files = fs.readdirSync(pidsDir);
  } catch {
    return;
  }
  for (const file of files) {
    const pid = Number.parseInt(fs.readFileSync(path.join(pidsDir, file), 'utf8'), 10);
    if (!Number.isInteger(pid) || pid <= 1) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The last lines of each component's log, so a failed start says why. */
function componentLogTails(clusterDir: string): string {
  const logsDir = path.join(clusterDir, 'logs');
  let files: string[];
  try {
    files = fs.readdirSync(logsDir);
  } catch {
    return '';
  }
  return files
    .map((file) => {
      const lines = fs.readFileSync(path.join(logsDir, file), 'utf8').trimEnd().split('\n').slice(-5);
      return `\n--- ${file} ---\n${lines.join('\n')}`;
    })
    .join('');
}
