/** Which compose project, file and env file hold a lab, and how long `up --wait` may take. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { LabSpec } from '../../config/labSpec.js';
import { settingsFromEnv } from '../settingsFromEnv.js';

export const COMPOSE_DIR = fileURLToPath(new URL('../../../infra/compose/', import.meta.url));

export interface ComposeSettings {
  /** `citus-lab-<cluster>` unless CITUS_LAB_COMPOSE_PROJECT says otherwise. */
  readonly project: string;
  readonly file: string;
  /** Holds CITUS_LAB_POSTGRES_PASSWORD; created by the first deploy when missing (mode 0600). */
  readonly envFile: string;
  readonly waitTimeoutSeconds: number;
  /** The node image when not the compose file's default (citusdata/citus:12.1), e.g. a local stand-in. */
  readonly image?: string;
}

const schema = z.object({
  CITUS_LAB_COMPOSE_PROJECT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'a compose project name is lowercase letters, digits, dashes and underscores')
    .optional(),
  CITUS_LAB_COMPOSE_FILE: z.string().optional(),
  CITUS_LAB_COMPOSE_ENV_FILE: z.string().optional(),
  CITUS_LAB_COMPOSE_WAIT_TIMEOUT: z.coerce.number().int().min(1).max(3600, 'at most 3600 seconds').default(180),
  CITUS_LAB_COMPOSE_IMAGE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._/:@-]{0,254}$/, 'an image reference such as citusdata/citus:12.1')
    .optional(),
});

export function readComposeSettings(spec: Pick<LabSpec, 'cluster'>, env: NodeJS.ProcessEnv = process.env): ComposeSettings {
  const s = settingsFromEnv(schema, env, Object.keys(schema.shape));
  return {
    project: s.CITUS_LAB_COMPOSE_PROJECT ?? `citus-lab-${spec.cluster}`,
    file: path.resolve(s.CITUS_LAB_COMPOSE_FILE ?? path.join(COMPOSE_DIR, 'docker-compose.yml')),
    envFile: path.resolve(s.CITUS_LAB_COMPOSE_ENV_FILE ?? path.join(COMPOSE_DIR, '.env')),
    waitTimeoutSeconds: s.CITUS_LAB_COMPOSE_WAIT_TIMEOUT,
    ...(s.CITUS_LAB_COMPOSE_IMAGE ? { image: s.CITUS_LAB_COMPOSE_IMAGE } : {}),
  };
}
