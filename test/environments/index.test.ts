import { parseLabSpec, type EnvironmentName } from '../../src/config/labSpec.js';
import { resolveEnvironment } from '../../src/environments/index.js';
import { ComposeEnvironment } from '../../src/environments/compose/composeEnvironment.js';
import { LocalEnvironment } from '../../src/environments/local/localEnvironment.js';
import { MinikubeEnvironment } from '../../src/environments/minikube/minikubeEnvironment.js';

const specFor = (env: EnvironmentName) => parseLabSpec({ env, dataDir: '/tmp/citus-lab-never-created' });

describe('resolveEnvironment', () => {
  it('gives a local environment for --env local', () => {
    const env = resolveEnvironment(specFor('local'));
    expect(env).toBeInstanceOf(LocalEnvironment);
    expect(env.kind).toBe('local');
    expect(resolveEnvironment(specFor('local'))).not.toBe(env);
  });

  it('gives the compose and minikube environments with their default settings', () => {
    const compose = resolveEnvironment(specFor('compose'));
    expect(compose).toBeInstanceOf(ComposeEnvironment);
    expect((compose as ComposeEnvironment).settings.project).toBe('citus-lab-lab');
    const minikube = resolveEnvironment(specFor('minikube'));
    expect(minikube).toBeInstanceOf(MinikubeEnvironment);
    expect((minikube as MinikubeEnvironment).kubeSettings.namespace).toBe('clinical-database');
  });

  it('refuses an invalid platform setting when the environment is made', () => {
    process.env.CITUS_LAB_MINIKUBE_MEMORY = 'lots';
    try {
      expect(() => resolveEnvironment(specFor('minikube'))).toThrow(expect.objectContaining({ type: 'ConfigInvalid' }));
    } finally {
      delete process.env.CITUS_LAB_MINIKUBE_MEMORY;
    }
  });
});
