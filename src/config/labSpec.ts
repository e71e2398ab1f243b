import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/**
 * The one description of a lab that crosses every boundary: CLI -> workflow input -> activities.
 * It is validated once at the edge (CLI, worker) and then passed around as plain, serialisable data.
 */
export const ENVIRONMENTS = ['local', 'compose', 'minikube'] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/** Cluster names end up in workflow ids, directory names, Kubernetes labels and SQL comments. */
export const CLUSTER_NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** Plain SQL identifiers only; anything fancier is refused rather than quoted into surprises. */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export const DEFAULTS = {
  env: 'local' as EnvironmentName,
  cluster: 'lab',
  workers: 2,
  basePort: 15432,
  database: 'hce_distribuida',
  patients: 100,
  standbys: 0,
  sync: false,
} as const;

/** Streaming replicas per node group: 1 is the useful value; more only multiply copies on one machine. */
export const MAX_STANDBYS = 3;

/** Where labs keep their state when nobody says otherwise. Root gets a path the postgres OS user can traverse. */
export function defaultDataDir(): string {
  if (process.env.CITUS_LAB_DATA_DIR) return path.resolve(process.env.CITUS_LAB_DATA_DIR);
  if (process.getuid?.() === 0) return '/var/lib/citus-lab';
  const base = process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'citus-lab');
}

export const labSpecSchema = z.object({
  env: z.enum(ENVIRONMENTS, {
    error: (issue) => `unknown environment ${JSON.stringify(issue.input)}: use one of ${ENVIRONMENTS.join(', ')}`,
  }),
  cluster: z
    .string()
    .regex(CLUSTER_NAME, 'cluster name must be lowercase letters, digits and dashes, starting with a letter (max 40)'),
  workers: z
    .number({ error: 'worker count must be a number' })
    .int('worker count must be a whole number')
    .min(1, 'worker count must be at least 1')
    .max(16, 'worker count must be at most 16'),
  basePort: z
    .number({ error: 'base port must be a number' })
    .int()
    .min(1024, 'base port must be 1024 or higher')
    .max(65000, 'base port must be 65000 or lower'),
  dataDir: z.string().min(1).refine((p) => path.isAbsolute(p), 'data dir must be an absolute path'),
  database: z.string().regex(SQL_IDENTIFIER, 'database name must be a plain lowercase SQL identifier'),
  patients: z.number().int().min(0).max(10_000_000, 'at most 10,000,000 patients'),
  /** The lab's FHIR API port; absent means `basePort + API_PORT_OFFSET` (specs recorded before the API lack it). */
  apiPort: z
    .number({ error: 'API port must be a number' })
    .int()
    .min(1024, 'API port must be 1024 or higher')
    .max(65535, 'API port must be 65535 or lower')
    .optional(),
  // Optional: runs recorded before standbys existed carry specs without them (read as 0 / false).
  standbys: z
    .number({ error: 'standby count must be a number' })
    .int('standby count must be a whole number')
    .min(0, 'standby count must be 0 or more')
    .max(MAX_STANDBYS, `standby count must be at most ${MAX_STANDBYS}`)
    .optional(),
  sync: z.boolean({ error: 'sync must be true or false' }).optional(),
})
  .refine((s) => s.apiPort === undefined || s.apiPort < s.basePort || s.apiPort > s.basePort + s.workers, {
    message: 'API port must not be one of the node ports (base port to base port + workers)',
  })
  .refine(
    ({ apiPort, basePort, workers, standbys }) =>
      apiPort === undefined || !Array.from({ length: standbys ?? 0 }, (_, k) => basePort + 100 * (k + 1)).some((p) => apiPort >= p && apiPort <= p + workers),
    { message: 'API port must not be one of the standby ports (base port + 100 k to base port + 100 k + workers)' },
  )
  .refine((s) => !s.sync || (s.standbys ?? 0) > 0, { message: '--sync needs at least one standby (--standbys 1)' });

export type LabSpec = z.infer<typeof labSpecSchema>;

/** The API listens this far above the coordinator's port unless --api-port says otherwise. */
export const API_PORT_OFFSET = 100;

/**
 * Port of the lab's FHIR API. Standby k of a group listens 100 k above the group's port
 * (standbys/groupTopology.ts), so coordinator-s1 would take base + 100: with standbys the API moves
 * above the last standby's ports.
 */
export function apiPortOf(spec: Pick<LabSpec, 'basePort' | 'apiPort'> & Partial<Pick<LabSpec, 'standbys'>>): number {
  return spec.apiPort ?? spec.basePort + API_PORT_OFFSET * (1 + (spec.standbys ?? 0));
}

/** Validates raw input (CLI options, JSON) into a LabSpec, with one readable sentence per problem. */
export function parseLabSpec(input: Partial<Record<keyof LabSpec, unknown>>): LabSpec {
  const merged: Record<string, unknown> = {
    env: DEFAULTS.env,
    cluster: DEFAULTS.cluster,
    workers: DEFAULTS.workers,
    basePort: DEFAULTS.basePort,
    database: DEFAULTS.database,
    patients: DEFAULTS.patients,
    standbys: DEFAULTS.standbys,
    sync: DEFAULTS.sync,
    ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
  };
  if (merged.dataDir === undefined) merged.dataDir = defaultDataDir();
  if (typeof merged.dataDir === 'string') merged.dataDir = path.resolve(merged.dataDir);
  const parsed = labSpecSchema.safeParse(merged);
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => i.message).join('; ');
    throw new ConfigError(message);
  }
  return parsed.data;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
