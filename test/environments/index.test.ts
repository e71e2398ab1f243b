import { parseLabSpec, type EnvironmentName } from '../../src/config/labSpec.js';
import { resolveEnvironment } from '../../src/environments/index.js';
import { ComposeEnvironment } from '../../src/environments/compose/composeEnvironment.js';
import { LocalEnvironment } from '../../src/environments/local/localEnvironment.js';
import { MinikubeEnvironment } from '../../src/environments/minikube/minikubeEnvironment.js';

const specFor = (env: EnvironmentName) => parseLabSpec({ env, dataDir: '/tmp/citus-lab-never-created' });

describe('resolveEnvironment', () => {
  it('gives a local environment for --env local', async () => {
    const env = await resolveEnvironment(specFor('local'));
    expect(env).toBeInstanceOf(LocalEnvironment);
    expect(env.kind).toBe('local');
    expect(await resolveEnvironment(specFor('local'))).not.toBe(env);
  });

  it('gives the compose and minikube environments with their default settings', async () => {
    const compose = await resolveEnvironment(specFor('compose'));
    expect(compose).toBeInstanceOf(ComposeEnvironment);
    expect((compose as ComposeEnvironment).settings.project).toBe('citus-lab-lab');
    const minikube = await resolveEnvironment(specFor('minikube'));
    expect(minikube).toBeInstanceOf(MinikubeEnvironment);
    expect((minikube as MinikubeEnvironment).kubeSettings.namespace).toBe('clinical-database');
  });

  it('refuses an invalid platform setting when the environment is made', async () => {
    process.env.CITUS_LAB_MINIKUBE_MEMORY = 'lots';
    try {
      await expect(resolveEnvironment(specFor('minikube'))).rejects.toThrow(expect.objectContaining({ type: 'ConfigInvalid' }));
    } finally {
      delete process.env.CITUS_LAB_MINIKUBE_MEMORY;
    }
  });
});
