/**
 * GET /admin/cluster: what the admin dashboard shows about the lab under the API — the Citus nodes
 * with their shard counts, and the last deploy/drill/drain/rebalance runs with Temporal Web UI
 * links. Admin scopes only (the same `admin/users` scope as the rest of /admin); audited like every
 * /admin route by the auth plugin's hooks.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { EnvironmentName } from '../../config/labSpec.js';
import { sendOutcome } from '../auth/replies.js';
import { mayManageUsers } from '../auth/roles.js';
import { readClusterNodes, type ClusterNodes } from './clusterNodes.js';
import { LabRunsReader, type LabRuns } from './labRuns.js';

export interface ClusterRouteOptions {
  readonly pool: pg.Pool;
  /** Which lab's runs to list; without it the overview has nodes only. */
  readonly lab?: { readonly env: EnvironmentName; readonly cluster: string };
  /** Overrides TEMPORAL_ADDRESS / the embedded default (tests). */
  readonly temporalAddress?: string;
}

export type ClusterOverview = ClusterNodes & Partial<LabRuns>;

export async function clusterRoutes(app: FastifyInstance, options: ClusterRouteOptions): Promise<void> {
  const runs = options.lab ? new LabRunsReader({ ...options.lab, ...(options.temporalAddress ? { address: options.temporalAddress } : {}) }) : undefined;
  app.addHook('onClose', async () => runs?.close());

  app.get('/admin/cluster', { schema: { hide: true } }, async (request, reply) => {
    const principal = request.principal;
    if (!principal || !mayManageUsers(principal.scopes, 'r')) {
      return sendOutcome(reply, 403, `role ${principal?.role ?? 'anonymous'} may not see the cluster overview`);
    }
    if (request.audit) request.audit.action = 'R';
    const [nodes, lab] = await Promise.all([readClusterNodes(options.pool), runs?.read()]);
    const overview: ClusterOverview = { ...nodes, ...(lab ?? {}) };
    return overview;
  });
}
