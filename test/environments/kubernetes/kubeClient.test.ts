/**
 * No cluster to talk to: no kubeconfig, a context that is not in it, an API server nobody listens on.
 * Each is a typed error saying what to do; only the unreachable server is worth retrying.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseLabSpec } from '../../../src/config/labSpec.js';
import { connectKube } from '../../../src/environments/kubernetes/kubeClient.js';
import { KubeLab } from '../../../src/environments/kubernetes/kubeLab.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-kubeconfig-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const spec = () => parseLabSpec({ env: 'minikube', cluster: 'k', dataDir: dir });
const lab = (kubeconfigPath: string, context?: string) =>
  new KubeLab(spec(), {
    target: { kubeconfigPath, context },
    namespace: 'clinical-database',
    image: () => 'unused',
    nodePort: 30007,
    podReadyTimeoutSeconds: 5,
  });

function writeKubeconfig(server: string): string {
  const file = path.join(dir, 'config');
  fs.writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: c, cluster: {server: "' + server + '", insecure-skip-tls-verify: true}}]',
      'users: [{name: u, user: {token: not-a-real-token}}]',
      'contexts: [{name: lab, context: {cluster: c, user: u}}]',
      'current-context: lab',
      '',
    ].join('\n'),
  );
  return file;
}

test('no kubeconfig: not retried, says how to get one', async () => {
  const missing = path.join(dir, 'nope');
  await expect(lab(missing).status()).rejects.toMatchObject({
    type: 'PlatformUnavailable',
    nonRetryable: true,
    message: expect.stringContaining(`There is no kubeconfig at ${missing}: start the cluster first`),
  });
});

test('a context the kubeconfig does not have: not retried, lists the ones it has', () => {
  const file = writeKubeconfig('https://127.0.0.1:1');
  expect(() => connectKube({ kubeconfigPath: file, context: 'minikube' })).toThrow(/has no context "minikube" \(it has: lab\)/);
});

test('an API server nobody listens on: retryable PlatformUnavailable naming the server', async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));

  const file = writeKubeconfig(`https://127.0.0.1:${port}`);
  const err = await lab(file, 'lab').status().catch((e: unknown) => e);
  expect(err).toMatchObject({ type: 'PlatformUnavailable', nonRetryable: false });
  expect((err as Error).message).toBe(
    `Cannot reach the Kubernetes API at https://127.0.0.1:${port} to list pods in namespace clinical-database (ECONNREFUSED): is the cluster running? (minikube status)`,
  );
  // Cleanup must not be the thing that fails: it reports the same, retryable, problem.
  await expect(lab(file, 'lab').teardown({ removeData: true })).rejects.toMatchObject({ type: 'PlatformUnavailable', nonRetryable: false });
});
