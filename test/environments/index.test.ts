import { parseLabSpec, type EnvironmentName } from '../../src/config/labSpec.js';
import { resolveEnvironment } from '../../src/environments/index.js';
import { LocalEnvironment } from '../../src/environments/local/localEnvironment.js';

const specFor = (env: EnvironmentName) => parseLabSpec({ env, dataDir: '/tmp/citus-lab-never-created' });

describe('resolveEnvironment', () => {
  it('gives a local environment for --env local', () => {
    const env = resolveEnvironment(specFor('local'));
    expect(env).toBeInstanceOf(LocalEnvironment);
    expect(env.kind).toBe('local');
    expect(resolveEnvironment(specFor('local'))).not.toBe(env);
  });

  it.each(['compose', 'minikube'] as const)('gives a %s environment that is not implemented yet', async (kind) => {
    const env = resolveEnvironment(specFor(kind));
    expect(env.kind).toBe(kind);
    const notImplemented = {
      type: 'NotImplemented',
      message: `The ${kind} environment is not implemented yet; use --env local.`,
    };
    for (const call of [
      () => env.preflight(),
      () => env.provision(),
      () => env.startNodes(),
      () => env.stopNodes(),
      () => env.credentials(),
      () => env.status(),
      () => env.injectFault('coordinator'),
      () => env.teardown({ removeData: true }),
    ]) {
      await expect(call()).rejects.toMatchObject(notImplemented);
    }
    expect(() => env.nodes()).toThrow(notImplemented.message);
  });
});
