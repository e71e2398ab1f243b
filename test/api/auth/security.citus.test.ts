/**
 * The security tests on a Citus lab (where Citus is installed): see securitySuite.ts. Then what only
 * Citus can show: the audit trail is distributed with the patients, so a patient's trail and a write's
 * AuditEvent are single-shard work on that patient's node; the account tables are reference tables.
 */
import { describeIfCitus } from '../../support/citus.js';
import { startCitusAuthApiLab } from '../../support/authApiLab.js';
import { securitySuite } from './securitySuite.js';

describeIfCitus('API security on Citus', () => {
  const lab = securitySuite(() => startCitusAuthApiLab());

  test('api_audit_events is co-located with pacientes; the account tables are reference tables', async () => {
    const { rows } = await lab().db.query<{ t: string; partmethod: string; repmodel: string; colocated: boolean }>(
      `SELECT logicalrelid::regclass::text AS t, partmethod, repmodel,
              colocationid = (SELECT colocationid FROM pg_dist_partition WHERE logicalrelid = 'pacientes'::regclass) AS colocated
         FROM pg_dist_partition WHERE logicalrelid::regclass::text LIKE 'api_%' ORDER BY 1`,
    );
    expect(rows).toEqual([
      { t: 'api_audit_events', partmethod: 'h', repmodel: 's', colocated: true },
      ...['api_keys', 'api_login_failures', 'api_refresh_tokens', 'api_users'].map((t) => ({ t, partmethod: 'n', repmodel: 't', colocated: false })),
    ]);
  });

  test("a patient's trail and an AuditEvent write are router queries on that patient's node", async () => {
    const db = lab().db;
    const { rows: p } = await db.query<{ d: string }>('SELECT min(documento_id)::text AS d FROM pacientes');
    const documento = p[0]?.d ?? '';
    const plan = async (sql: string) => (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [documento])).rows.map((r) => r['QUERY PLAN']).join('\n');
    const search = await plan('SELECT * FROM api_audit_events WHERE documento_id = $1 ORDER BY recorded DESC, event_id DESC LIMIT 21');
    const insert = await plan(
      "INSERT INTO api_audit_events (documento_id, event_id, action, subtype, agent, address, method, path, status, outcome) VALUES ($1, gen_random_uuid(), 'R', 'read', 'x', '127.0.0.1', 'GET', '/', 200, '0')",
    );
    const observations = await plan('SELECT * FROM observaciones WHERE documento_id = $1');
    const node = (text: string) => /Node: (host=\S+ port=\d+)/.exec(text)?.[1];
    for (const text of [search, insert]) {
      expect(text).toMatch(/Task Count: 1\b/);
      expect(node(text)).toBe(node(observations));
    }
    expect(node(observations)).toBeDefined();
  });
});
