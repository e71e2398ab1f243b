/**
 * A real Kubernetes cluster for tests: the kwokctl control plane of kubeControlPlane.ts without its fake
 * node, joined by a REAL node on this host (scripts/kube-node/node.sh: kubelet, kube-proxy, CoreDNS, a
 * containerd of its own, CNI bridge networking), running the lab's image built FROM the containers'
 * stand-in for citusdata/citus:12.1. Needs root, the node binaries (scripts/k8s-node-tools.sh) and the
 * container set-up (test/support/containers.ts); elsewhere the tests say why in one line and skip.
 * The node's bridges and addresses are fixed (10.213.0.0/16), so one such cluster runs per machine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { stageBuildContext } from '../../src/environments/minikube/labImage.js';
import { isExecutable } from '../../src/environments/local/pgBinaries.js';
import { containerAvailability } from './containers.js';
import { kubeToolsAvailability, startControlPlane, type ControlPlane } from './kubeControlPlane.js';
import { repoRoot } from '../cli/runCli.js';

const NODE_SCRIPT = path.join(repoRoot, 'scripts', 'kube-node', 'node.sh');
const NODE_BINARIES = ['kubelet', 'kube-proxy', 'kubectl', 'coredns'] as const;

export interface RealNodeAvailability {
  /** The stand-in Citus image the lab image is built FROM, when everything is there. */
  readonly citusImage?: string;
  readonly reason: string;
}

export function realNodeAvailability(): RealNodeAvailability {
  if (process.getuid?.() !== 0) return { reason: 'a real node needs root' };
  // The image first: without Citus (or containers) the set-up builds no node binaries either, and the
  // reason worth one line is the missing Citus, not the binaries it therefore skipped.
  const containers = containerAvailability();
  if (!containers.image) return { reason: containers.reason };
  const kube = kubeToolsAvailability();
  if (!kube.installed) return { reason: kube.reason };
  const missing = NODE_BINARIES.filter((b) => !isExecutable(path.join(kube.binDir, b)));
  if (missing.length > 0) return { reason: `no ${missing.join(', ')} in ${kube.binDir}: run scripts/k8s-node-tools.sh` };
  return { citusImage: containers.image, reason: '' };
}

/** `describe` where a real node can run; otherwise one `SKIP` line and `describe.skip`. */
export function describeIfRealNode(name: string, fn: () => void): void {
  const { citusImage, reason } = realNodeAvailability();
  if (citusImage) {
    describe(name, fn);
    return;
  }
  process.stderr.write(`SKIP ${name}: no real Kubernetes node here (${reason})\n`);
  describe.skip(name, fn);
}

export interface RealCluster {
  readonly controlPlane: ControlPlane;
  readonly kubeconfigPath: string;
  /** The kubeconfig's context (what CITUS_LAB_KUBE_CONTEXT must name). */
  readonly context: string;
  /** The lab image (infra/postgres-citus FROM the stand-in), already in the node's containerd. */
  readonly image: string;
  /** Tail of the node components' logs, for failure messages. */
  logs(): string;
  /** Node down (bridges, iptables rules, mounts gone), control plane down, temp dir removed. Safe twice. */
  stop(): Promise<void>;
}

/** kubelet repeats that it cannot size the image filesystem here (harmless) every 10 s: leave that out. */
const NOISE = /eviction_manager|cri_stats_provider|Failed to update lease/;
function lastLines(log: string): string {
  return log.trimEnd().split('\n').filter((line) => !NOISE.test(line)).slice(-15).join('\n');
}

export async function startRealCluster(): Promise<RealCluster> {
  const { citusImage, reason } = realNodeAvailability();
  if (!citusImage) throw new Error(`no real node here: ${reason}`);
  const controlPlane = await startControlPlane({ fakeNode: false });
  if (!controlPlane) throw new Error('the control-plane binaries are missing');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-kube-node-'));
  const node = (args: string[], timeout: number) =>
    execa('bash', [NODE_SCRIPT, ...args], { timeout, all: true, stdin: 'ignore', env: { CITUS_LAB_KUBE_TOOLS_BIN: kubeToolsAvailability().binDir } });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await node(['down', dir], 120_000);
    } finally {
      await controlPlane.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const logs = () => {
    const logsDir = path.join(dir, 'logs');
    if (!fs.existsSync(logsDir)) return '';
    return fs
      .readdirSync(logsDir)
      .map((f) => `\n--- ${f} ---\n${lastLines(fs.readFileSync(path.join(logsDir, f), 'utf8'))}`)
      .join('');
  };
  try {
    await node(['up', dir, controlPlane.kubeconfigPath], 300_000);
    const image = await buildLabImage(citusImage);
    await node(['load', dir, image], 300_000);
    const kc = new KubeConfig();
    kc.loadFromFile(controlPlane.kubeconfigPath);
    return { controlPlane, kubeconfigPath: controlPlane.kubeconfigPath, context: kc.getCurrentContext(), image, logs, stop };
  } catch (err) {
    const detail = `${err instanceof Error ? err.message : String(err)}${logs()}`;
    await stop();
    throw new Error(`the real Kubernetes node did not start: ${detail}`);
  }
}

/**
 * infra/postgres-citus built as deploy --env minikube builds it (classic builder, staged context), FROM the
 * stand-in; tagged with its image id, so the node imports each distinct build once.
 */
async function buildLabImage(citusImage: string): Promise<string> {
  const context = stageBuildContext();
  let id: string;
  try {
    const built = await execa(
      'docker',
      ['build', '--quiet', '--build-arg', `CITUS_IMAGE=${citusImage}`, '--file', path.join(context, 'infra', 'postgres-citus', 'Dockerfile'), context],
      { env: { DOCKER_BUILDKIT: '0' }, timeout: 600_000, stdin: 'ignore' },
    );
    id = built.stdout.trim().split('\n').pop()?.replace(/^sha256:/, '') ?? '';
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
  if (!/^[0-9a-f]{12,}$/.test(id)) throw new Error(`docker build printed no image id (${id})`);
  const image = `citus-lab/postgres-citus:test-${id.slice(0, 12)}`;
  await execa('docker', ['tag', id, image], { stdin: 'ignore' });
  return image;
}
