/**
 * The storage of FHIR resources: every SQL statement the FHIR layer needs, and nothing of FHIR's
 * HTTP rules. Each statement on a patient-compartment table filters on documento_id (the shard
 * key), so Citus plans it as a router query on one shard. Identifiers come from the resource
 * tables (constants of this program, never from a request); every value is a bound parameter.
 */
import type { Resource } from '@medplum/fhirtypes';
import { quoteIdentifier } from '../../activities/postgres/identifiers.js';
import type { ResourceDefinition, Row } from '../resources/definition.js';
import { COMPARTMENT_DEFINITIONS, definitionOf } from '../resources/index.js';
import { patientDefinition } from '../resources/patient.js';
import { type RowKey, idOfKey } from './fhirIds.js';
import type { SqlSession } from './sqlSession.js';

/** A row as the FHIR layer sees it: the resource (stored or rebuilt from the seed columns) and its version. */
export interface StoredResource {
  readonly resource: Resource & { id: string; meta: { versionId: string; lastUpdated: string } };
  readonly key: RowKey;
  readonly versionId: number;
  readonly lastUpdated: string;
}

export interface HistoryVersion {
  readonly versionId: number;
  readonly lastUpdated: string;
  readonly deleted: boolean;
  readonly resource?: StoredResource['resource'];
}

const q = (name: string) => quoteIdentifier(name, 'identifier');

/** Columns the key of a definition's rows is made of, in sort order. */
export function keyColumns(def: ResourceDefinition): string[] {
  if (def.scope === 'patient') return ['documento_id'];
  if (def.scope === 'compartment') return ['documento_id', def.localColumn];
  return [def.localColumn];
}

export function keyValues(def: ResourceDefinition, key: RowKey): string[] {
  if (def.scope === 'patient') return [String(key.documento)];
  if (def.scope === 'compartment') return [String(key.documento), String(key.local)];
  return [String(key.local)];
}

/** `t.documento_id = $1 AND t.observacion_id = $2`, numbered from `first`. */
export function keyPredicate(def: ResourceDefinition, first = 1): string {
  return keyColumns(def)
    .map((c, i) => `t.${q(c)} = $${first + i}::bigint`)
    .join(' AND ');
}

/** The select list every read uses: the whole row as JSON plus its key as text (bigints beyond 2^53 stay exact). */
export function rowSelect(def: ResourceDefinition): string {
  const local = def.scope === 'patient' ? 'NULL::text' : `t.${q(def.localColumn)}::text`;
  const documento = def.scope === 'reference' ? 'NULL::text' : 't.documento_id::text';
  return `to_jsonb(t) AS row, ${documento} AS documento, ${local} AS local`;
}

export interface SelectedRow {
  row: Row & { resource?: Resource | null; version_id?: number; last_updated?: string };
  documento: string | null;
  local: string | null;
}

/** Turns a selected row into the resource it stands for, with id and meta from the row. */
export function toStored(def: ResourceDefinition, selected: SelectedRow): StoredResource {
  const key: RowKey = {
    ...(selected.documento !== null ? { documento: selected.documento } : {}),
    ...(selected.local !== null ? { local: selected.local } : {}),
  };
  const versionId = Number(selected.row.version_id ?? 1);
  const lastUpdated = instant(String(selected.row.last_updated));
  const base = selected.row.resource ?? def.fromRow(selected.row);
  return { key, versionId, lastUpdated, resource: withMeta(base, idOfKey(def.scope, key), versionId, lastUpdated) };
}

/** One form for every instant the API shows: ISO 8601 UTC with milliseconds. */
function instant(timestamp: string): string {
  return new Date(timestamp).toISOString();
}

function withMeta(resource: Resource, id: string, versionId: number, lastUpdated: string): StoredResource['resource'] {
  return { ...resource, id, meta: { ...(resource.meta ?? {}), versionId: String(versionId), lastUpdated } } as StoredResource['resource'];
}

/** What gets stored as JSON: the resource without what the row itself says (version, time). */
function storedJson(resource: Resource, id: string): Resource {
  const meta = { ...(resource.meta ?? {}) };
  delete meta.versionId;
  delete meta.lastUpdated;
  const copy = { ...resource, id } as Resource;
  if (Object.keys(meta).length) copy.meta = meta;
  else delete copy.meta;
  return copy;
}

function historyTarget(def: ResourceDefinition, key: RowKey): { table: string; columns: string[]; values: string[] } {
  if (def.scope === 'reference') return { table: 'historia_referencia', columns: ['tipo', 'local_id'], values: [def.type, String(key.local)] };
  return {
    table: 'historia_clinica',
    columns: ['documento_id', 'tipo', 'local_id'],
    values: [String(key.documento), def.type, def.scope === 'patient' ? '0' : String(key.local)],
  };
}

export class ResourceStore {
  async nextId(session: SqlSession): Promise<string> {
    const rows = await session.query<{ id: string }>(`SELECT nextval('fhir_id_seq')::text AS id`);
    return String(rows[0]?.id);
  }

  async patientExists(session: SqlSession, documento: string): Promise<boolean> {
    const rows = await session.query('SELECT 1 FROM pacientes t WHERE t.documento_id = $1::bigint', [documento]);
    return rows.length > 0;
  }

  async read(session: SqlSession, def: ResourceDefinition, key: RowKey): Promise<StoredResource | undefined> {
    const rows = await session.query<SelectedRow>(
      `SELECT ${rowSelect(def)} FROM ${q(def.table)} t WHERE ${keyPredicate(def)}`,
      keyValues(def, key),
    );
    return rows[0] ? toStored(def, rows[0]) : undefined;
  }

  /** Every stored version, newest first (the current one included once it was written by the API). */
  async history(session: SqlSession, def: ResourceDefinition, key: RowKey, versionId?: number): Promise<HistoryVersion[]> {
    const target = historyTarget(def, key);
    const where = target.columns.map((c, i) => `h.${q(c)} = $${i + 1}${c === 'tipo' ? '' : '::bigint'}`);
    const values: unknown[] = [...target.values];
    if (versionId !== undefined) {
      values.push(versionId);
      where.push(`h.version_id = $${values.length}`);
    }
    const rows = await session.query<{ version_id: string; last_updated: string; eliminado: boolean; resource: Resource | null }>(
      `SELECT h.version_id::text, to_jsonb(h.last_updated) #>> '{}' AS last_updated, h.eliminado, h.resource
         FROM ${q(target.table)} h WHERE ${where.join(' AND ')} ORDER BY h.version_id DESC LIMIT 1000`,
      values,
    );
    const id = idOfKey(def.scope, key);
    return rows.map((r) => ({
      versionId: Number(r.version_id),
      lastUpdated: instant(r.last_updated),
      deleted: r.eliminado,
      ...(r.resource ? { resource: withMeta(r.resource, id, Number(r.version_id), instant(r.last_updated)) } : {}),
    }));
  }

  private async writeHistory(session: SqlSession, def: ResourceDefinition, key: RowKey, version: HistoryVersion): Promise<void> {
    const target = historyTarget(def, key);
    const columns = [...target.columns, 'version_id', 'last_updated', 'eliminado', 'resource'];
    const values = [...target.values, version.versionId, version.lastUpdated, version.deleted, version.resource ? storedJson(version.resource, idOfKey(def.scope, key)) : null];
    const casts = columns.map((c, i) => `$${i + 1}${c === 'documento_id' || c === 'local_id' ? '::bigint' : ''}`);
    await session.query(
      `INSERT INTO ${q(target.table)} (${columns.map(q).join(', ')}) VALUES (${casts.join(', ')}) ON CONFLICT DO NOTHING`,
      values,
    );
  }

  /**
   * The server's clock stamps each version (millisecond ISO instants). Citus refuses non-immutable
   * functions in a distributed RETURNING list, so rows come back as plain columns and the stored
   * resource is assembled here from what was written.
   */
  private now(): string {
    return new Date().toISOString();
  }

  private written(def: ResourceDefinition, key: RowKey, resource: Resource, versionId: number, lastUpdated: string): StoredResource {
    const id = idOfKey(def.scope, key);
    const publicKey: RowKey = def.scope === 'patient' ? { documento: String(key.documento) } : key;
    return { key: publicKey, versionId, lastUpdated, resource: withMeta(storedJson(resource, id), id, versionId, lastUpdated) };
  }

  async insert(session: SqlSession, def: ResourceDefinition, key: RowKey, resource: Resource): Promise<StoredResource> {
    const id = idOfKey(def.scope, key);
    const seed = def.columnsOf(resource as never);
    const keyCols = def.scope === 'patient' ? ['documento_id', def.localColumn] : keyColumns(def);
    const keyVals = def.scope === 'patient' ? [String(key.documento), String(key.local)] : keyValues(def, key);
    const lastUpdated = this.now();
    const columns = [...keyCols, ...Object.keys(seed), 'resource', 'version_id', 'last_updated'];
    const values = [...keyVals, ...Object.values(seed), storedJson(resource, id), 1, lastUpdated];
    const placeholders = columns.map((_, i) => `$${i + 1}`);
    await session.query(`INSERT INTO ${q(def.table)} (${columns.map(q).join(', ')}) VALUES (${placeholders.join(', ')})`, values);
    const stored = this.written(def, key, resource, 1, lastUpdated);
    await this.writeHistory(session, def, stored.key, { versionId: 1, lastUpdated, deleted: false, resource: stored.resource });
    return stored;
  }

  /** The new version when `current` is still current; undefined when another write came first. */
  async update(session: SqlSession, def: ResourceDefinition, current: StoredResource, resource: Resource): Promise<StoredResource | undefined> {
    const id = idOfKey(def.scope, current.key);
    const seed = def.columnsOf(resource as never);
    const keyVals = keyValues(def, current.key);
    const versionId = current.versionId + 1;
    const lastUpdated = this.now();
    const values: unknown[] = [...keyVals, current.versionId, storedJson(resource, id), versionId, lastUpdated, ...Object.values(seed)];
    const n = keyVals.length;
    const setters = [
      `resource = $${n + 2}`,
      `version_id = $${n + 3}`,
      `last_updated = $${n + 4}`,
      ...Object.keys(seed).map((c, i) => `${q(c)} = $${n + 5 + i}`),
    ];
    const rows = await session.query(
      `UPDATE ${q(def.table)} AS t SET ${setters.join(', ')} WHERE ${keyPredicate(def)} AND t.version_id = $${n + 1} RETURNING t.version_id`,
      values,
    );
    if (!rows.length) return undefined;
    const stored = this.written(def, current.key, resource, versionId, lastUpdated);
    // Rows loaded by COPY never had their first version written: keep it before it is gone.
    await this.writeHistory(session, def, current.key, { versionId: current.versionId, lastUpdated: current.lastUpdated, deleted: false, resource: current.resource });
    await this.writeHistory(session, def, current.key, { versionId, lastUpdated, deleted: false, resource: stored.resource });
    return stored;
  }

  /** Removes the row and records a deleted version; its number, or undefined when another write came first. */
  async delete(session: SqlSession, def: ResourceDefinition, current: StoredResource): Promise<number | undefined> {
    const rows = await session.query(
      `DELETE FROM ${q(def.table)} AS t WHERE ${keyPredicate(def)} AND t.version_id = $${keyColumns(def).length + 1} RETURNING t.version_id`,
      [...keyValues(def, current.key), current.versionId],
    );
    if (!rows.length) return undefined;
    const versionId = current.versionId + 1;
    await this.writeHistory(session, def, current.key, { versionId: current.versionId, lastUpdated: current.lastUpdated, deleted: false, resource: current.resource });
    await this.writeHistory(session, def, current.key, { versionId, lastUpdated: this.now(), deleted: true });
    return versionId;
  }

  /** Whether any resource of the patient's compartment still exists (a Patient with records is not deleted). */
  async compartmentHasResources(session: SqlSession, documento: string): Promise<boolean> {
    const exists = COMPARTMENT_DEFINITIONS.map((d) => `EXISTS (SELECT 1 FROM ${q(d.table)} t WHERE t.documento_id = $1::bigint)`);
    const rows = await session.query<{ any: boolean }>(`SELECT ${exists.join(' OR ')} AS any`, [documento]);
    return rows[0]?.any === true;
  }

  /** The Patient and every resource of its compartment, in one statement that stays on the patient's shard. */
  async everything(session: SqlSession, documento: string): Promise<StoredResource[]> {
    const parts = [patientDefinition as unknown as ResourceDefinition, ...COMPARTMENT_DEFINITIONS].map(
      (d) => `SELECT '${d.type}'::text AS type, ${rowSelect(d)} FROM ${q(d.table)} t WHERE t.documento_id = $1::bigint`,
    );
    const rows = await session.query<SelectedRow & { type: string }>(parts.join('\nUNION ALL\n'), [documento]);
    return rows.flatMap((r) => {
      const def = definitionOf(r.type);
      return def ? [toStored(def, r)] : [];
    });
  }

  async search(session: SqlSession, def: ResourceDefinition, text: string, values: readonly unknown[]): Promise<(StoredResource & { sortValue: string | null })[]> {
    const rows = await session.query<SelectedRow & { sort_value: string | null }>(text, values);
    return rows.map((r) => ({ ...toStored(def, r), sortValue: r.sort_value }));
  }

  async count(session: SqlSession, text: string, values: readonly unknown[]): Promise<number> {
    const rows = await session.query<{ n: string }>(text, values);
    return Number(rows[0]?.n ?? 0);
  }

  async ping(session: SqlSession): Promise<void> {
    await session.query('SELECT 1');
  }
}
