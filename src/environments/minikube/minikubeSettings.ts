/** How the lab's minikube is started and which image its nodes run. */
import { z } from 'zod';
import { settingsFromEnv } from '../settingsFromEnv.js';

export interface MinikubeSettings {
  readonly profile: string;
  readonly cpus: number;
  /** As minikube takes it: `4096`, `4096mb`, `4g`. */
  readonly memory: string;
  readonly driver?: string;
  /** An image to run instead of building infra/postgres-citus (then nothing is built or loaded). */
  readonly image?: string;
  /** An API image to run instead of building infra/api (then nothing is built or loaded for it). */
  readonly apiImage?: string;
  /** `cleanup --volumes` also runs `minikube delete` on the profile. */
  readonly deleteProfileOnCleanup: boolean;
}

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

const schema = z.object({
  CITUS_LAB_MINIKUBE_PROFILE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a profile name is lowercase letters, digits, dots, dashes and underscores')
    .default('minikube'),
  CITUS_LAB_MINIKUBE_CPUS: z.coerce.number().int().min(2, 'minikube needs at least 2 CPUs').max(64).default(2),
  CITUS_LAB_MINIKUBE_MEMORY: z
    .string()
    .regex(/^\d+(mb?|gb?)?$/i, 'memory is a number of MB or a size like 4g')
    .default('4g'),
  CITUS_LAB_MINIKUBE_DRIVER: z.string().regex(/^[a-z0-9-]+$/, 'a driver name such as docker, kvm2, podman').optional(),
  CITUS_LAB_IMAGE: z.string().regex(/^[\w./:@-]+$/, 'an image reference such as citusdata/citus:12.1').optional(),
  CITUS_LAB_API_IMAGE: z.string().regex(/^[\w./:@-]+$/, 'an image reference such as citus-lab/api:local').optional(),
  CITUS_LAB_MINIKUBE_DELETE_PROFILE: flag.default(false),
});

export function readMinikubeSettings(env: NodeJS.ProcessEnv = process.env): MinikubeSettings {
  const s = settingsFromEnv(schema, env, Object.keys(schema.shape));
  return {
    profile: s.CITUS_LAB_MINIKUBE_PROFILE,
    cpus: s.CITUS_LAB_MINIKUBE_CPUS,
    memory: s.CITUS_LAB_MINIKUBE_MEMORY,
    driver: s.CITUS_LAB_MINIKUBE_DRIVER,
    image: s.CITUS_LAB_IMAGE,
    apiImage: s.CITUS_LAB_API_IMAGE,
    deleteProfileOnCleanup: s.CITUS_LAB_MINIKUBE_DELETE_PROFILE,
  };
}
