/**
 * `--fix-identity`: gives the named distributed tables what online shard moves need, the way the seed's
 * PK_FIX_LIST did, but saying what it changed: REPLICA IDENTITY FULL (every column identifies a row;
 * replicated updates cost more), or a primary key on the given columns. Citus propagates both to every
 * shard. A table that already has a key or identity is left alone.
 */
import { LabError } from '../../../errors.js';
import type { LabEnvironment } from '../../../environments/labEnvironment.js';
import type { IdentityChange, IdentityFix } from '../../../workflows/rebalance/rebalanceTypes.js';
import { heartbeatIfActivity } from '../../activityContext.js';
import { coordinatorOf, errorMessage, withNodeClient } from '../connect.js';
import { assertCitusExtension } from '../databaseAndExtension.js';
import { quoteIdentifier } from '../identifiers.js';

interface TableIdentity {
  distributed: boolean;
  replident: string;
  primaryKey: string | null;
  identityIndex: boolean;
}

export async function fixReplicaIdentity(env: LabEnvironment, fixes: readonly IdentityFix[]): Promise<IdentityChange[]> {
  const coordinator = coordinatorOf(env);
  return withNodeClient(env, coordinator.name, env.spec.database, async (client) => {
    await assertCitusExtension(client, env.spec.database, coordinator.name);
    const changes: IdentityChange[] = [];
    for (const fix of fixes) {
      heartbeatIfActivity({ table: fix.table });
      const table = quoteIdentifier(fix.table, 'table');
      const columns = (fix.key ?? []).map((c) => quoteIdentifier(c, 'key column'));
      const { rows } = await client.query<TableIdentity>(
        `SELECT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid) AS distributed,
                c.relreplident::text AS replident,
                (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p') AS "primaryKey",
                EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) AS "identityIndex"
           FROM pg_class c WHERE c.oid = to_regclass($1)`,
        [fix.table],
      );
      const current = rows[0];
      if (!current) {
        throw new LabError('ConfigInvalid', `--fix-identity names table ${fix.table}, which does not exist in ${env.spec.database}: check the name.`);
      }
      if (!current.distributed) {
        throw new LabError(
          'ConfigInvalid',
          `--fix-identity names table ${fix.table}, which is not a Citus table, so no shard of it moves: leave it out.`,
        );
      }
      if (current.primaryKey) {
        changes.push({ table: fix.table, action: 'none', message: `${fix.table} already has ${current.primaryKey}: unchanged` });
        continue;
      }
      if (!columns.length && (current.replident === 'f' || (current.replident === 'i' && current.identityIndex))) {
        const what = current.replident === 'f' ? 'REPLICA IDENTITY FULL' : 'a replica identity index';
        changes.push({ table: fix.table, action: 'none', message: `${fix.table} already has ${what}: unchanged` });
        continue;
      }
      try {
        if (columns.length) {
          await client.query(`ALTER TABLE ${table} ADD PRIMARY KEY (${columns.join(', ')})`);
          const key = `PRIMARY KEY (${(fix.key ?? []).join(', ')})`;
          changes.push({ table: fix.table, action: 'primary-key', message: `${fix.table}: added ${key}` });
        } else {
          await client.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
          changes.push({
            table: fix.table,
            action: 'replica-identity-full',
            message: `${fix.table}: set REPLICA IDENTITY FULL (updates and deletes replicate with the whole row)`,
          });
        }
      } catch (err) {
        throw new LabError(
          'ConfigInvalid',
          `could not give ${fix.table} ${columns.length ? `a primary key on ${(fix.key ?? []).join(', ')}` : 'REPLICA IDENTITY FULL'}: ` +
            `${errorMessage(err)}; a distributed table's key must include its distribution column and be unique.`,
          { cause: err },
        );
      }
    }
    return changes;
  });
}
