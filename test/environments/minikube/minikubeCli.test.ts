/**
 * The minikube and docker command lines, their failures and how they are typed, against the fake
 * executables in test/fixtures/bin (no minikube or Docker engine can run on these machines).
 */
import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../../../src/errors.js';
import { ensureImageInMinikube, labImageTag } from '../../../src/environments/minikube/labImage.js';
import { MinikubeCli } from '../../../src/environments/minikube/minikubeCli.js';
import { readMinikubeSettings } from '../../../src/environments/minikube/minikubeSettings.js';
import { readKubeSettings } from '../../../src/environments/kubernetes/kubeSettings.js';
import { useFakeTools, type FakeTools } from '../../fixtures/bin/fakeTools.js';

let tools: FakeTools;
beforeEach(() => {
  tools = useFakeTools();
});
afterEach(() => tools.restore());

const cli = () => new MinikubeCli('lab-profile');
const setState = (state: string) => fs.writeFileSync(path.join(tools.stateDir, 'minikube-state'), state);

describe('status', () => {
  test.each([
    ['Running', { state: 'running' }],
    ['Stopped', { state: 'stopped', detail: 'host Stopped, kubelet Stopped, apiserver Stopped' }],
    ['absent', { state: 'absent' }],
  ])('%s profile', async (state, expected) => {
    setState(state);
    await expect(cli().status()).resolves.toEqual(expected);
    expect(tools.calls('minikube')).toEqual([['status', '--profile', 'lab-profile', '--output', 'json']]);
  });
});

test('start passes the profile, cpus, memory and driver', async () => {
  setState('Stopped');
  await cli().start({ cpus: 4, memory: '6g', driver: 'docker' });
  expect(tools.calls('minikube')).toEqual([['start', '--profile', 'lab-profile', '--cpus=4', '--memory=6g', '--driver=docker']]);
  await expect(cli().status()).resolves.toEqual({ state: 'running' });
});

test('a start minikube refuses for lack of resources is not retryable and carries its message', async () => {
  tools.set({ FAKE_MINIKUBE_START_FAIL: 'RSRC_INSUFFICIENT_CORES' });
  const err = await cli().start({ cpus: 2, memory: '4g' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(LabError);
  expect(err).toMatchObject({ type: 'PlatformUnavailable', nonRetryable: true });
  expect((err as Error).message).toMatch(/^minikube start --profile lab-profile --cpus=2 --memory=4g failed \(exit 29, RSRC_INSUFFICIENT_CORES\): /);
  expect((err as Error).message).toContain('Requested cpu count 2 is greater than the available cpus of 1');
});

test('any other start failure stays retryable', async () => {
  tools.set({ FAKE_MINIKUBE_START_FAIL: 'GUEST_PROVISION' });
  await expect(cli().start({ cpus: 2, memory: '4g' })).rejects.toMatchObject({ type: 'CommandFailed', nonRetryable: false });
});

test('minikube missing: PlatformToolMissing with how to install it', async () => {
  tools.restore();
  tools = useFakeTools(['docker']);
  await expect(cli().version()).rejects.toMatchObject({
    type: 'PlatformToolMissing',
    nonRetryable: true,
    message: 'minikube is not installed (not found on PATH): install minikube (https://minikube.sigs.k8s.io/docs/start/), then run the command again.',
  });
});

describe('the lab image', () => {
  test('its tag names Citus 12.1 and a hash of the files it is built from', () => {
    expect(labImageTag()).toMatch(/^citus-lab\/postgres-citus:12\.1-[0-9a-f]{12}$/);
    expect(labImageTag()).toBe(labImageTag());
  });

  test('is built and loaded once; a second deploy finds it in minikube', async () => {
    const image = labImageTag();
    await expect(ensureImageInMinikube(cli(), image)).resolves.toBe('loaded');
    await expect(ensureImageInMinikube(cli(), image)).resolves.toBe('present');
    const build = tools.calls('docker');
    expect(build).toHaveLength(1);
    expect(build[0]?.slice(0, 5)).toEqual(['build', '--tag', image, '--file', expect.stringMatching(/infra\/postgres-citus\/Dockerfile$/)]);
    // The classic builder (Debian's docker.io has no BuildKit), from a context of the image's inputs only.
    expect(build[0]?.at(-1)).toBe('[DOCKER_BUILDKIT=0]');
    const context = fs.readFileSync(path.join(tools.stateDir, 'build-context'), 'utf8').trim().split('\n').sort();
    expect(context).toEqual(['infra/postgres-citus/Dockerfile', 'infra/postgres-citus/initdb/010-citus-lab-database.sh', 'sql/schema.sql']);
    expect(tools.calls('minikube').filter((c) => c[0] === 'image')).toEqual([
      ['image', 'ls', '--profile', 'lab-profile'],
      ['image', 'load', image, '--profile', 'lab-profile'],
      ['image', 'ls', '--profile', 'lab-profile'],
    ]);
  });

  test('a build that fails in the Dockerfile is ImageBuildFailed, not retried, with docker’s output', async () => {
    tools.set({ FAKE_DOCKER_BUILD_FAIL: 'failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3' });
    const err = await ensureImageInMinikube(cli(), labImageTag()).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'ImageBuildFailed', nonRetryable: true });
    expect((err as Error).message).toContain('exit code: 3');
    expect(tools.calls('minikube').some((c) => c[1] === 'load')).toBe(false);
  });

  test('a build that failed on the network may be retried', async () => {
    tools.set({ FAKE_DOCKER_BUILD_FAIL: 'failed to resolve source metadata for docker.io/citusdata/citus:12.1: dial tcp: lookup registry-1.docker.io: i/o timeout' });
    await expect(ensureImageInMinikube(cli(), labImageTag())).rejects.toMatchObject({ type: 'ImageBuildFailed', nonRetryable: false });
  });

  test('a failed image load is a retryable CommandFailed with minikube’s stderr', async () => {
    tools.set({ FAKE_MINIKUBE_IMAGE_LOAD_FAILURES: '1' });
    const err = await ensureImageInMinikube(cli(), labImageTag()).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'CommandFailed', nonRetryable: false });
    expect((err as Error).message).toContain('connection reset by peer');
    await expect(ensureImageInMinikube(cli(), labImageTag())).resolves.toBe('loaded');
  });
});

describe('settings from the environment', () => {
  test('typed defaults', () => {
    expect(readMinikubeSettings({})).toEqual({ profile: 'minikube', cpus: 2, memory: '4g', driver: undefined, image: undefined, deleteProfileOnCleanup: false });
    expect(readKubeSettings({ HOME: '/home/u', KUBECONFIG: '/a/config:/b/config' })).toMatchObject({
      kubeconfigPath: '/a/config',
      namespace: 'clinical-database',
      nodePort: 30007,
      podReadyTimeoutSeconds: 300,
    });
  });

  test('values from CITUS_LAB_* variables, empty ones counting as unset', () => {
    expect(
      readMinikubeSettings({ CITUS_LAB_MINIKUBE_PROFILE: 'citus', CITUS_LAB_MINIKUBE_CPUS: '4', CITUS_LAB_MINIKUBE_MEMORY: '', CITUS_LAB_MINIKUBE_DELETE_PROFILE: '1' }),
    ).toMatchObject({ profile: 'citus', cpus: 4, memory: '4g', deleteProfileOnCleanup: true });
    expect(readKubeSettings({ CITUS_LAB_KUBECONFIG: '/k/cfg', KUBECONFIG: '/other', CITUS_LAB_K8S_NAMESPACE: 'lab-ns' })).toMatchObject({
      kubeconfigPath: '/k/cfg',
      namespace: 'lab-ns',
    });
  });

  test('bad values are refused with the variable, its value and the rule', () => {
    expect(() => readMinikubeSettings({ CITUS_LAB_MINIKUBE_CPUS: '1' })).toThrow('CITUS_LAB_MINIKUBE_CPUS="1": minikube needs at least 2 CPUs');
    expect(() => readKubeSettings({ CITUS_LAB_K8S_NAMESPACE: 'Clinical_DB' })).toThrow(/CITUS_LAB_K8S_NAMESPACE="Clinical_DB": a namespace is lowercase/);
    expect(() => readKubeSettings({ CITUS_LAB_K8S_NODE_PORT: '8080' })).toThrow(LabError);
  });
});
