/**
 * The FHIR interactions over the resource store, without HTTP (Medplum's fhir-router idea): each
 * method takes what the request says and returns status, resource and headers, or throws a
 * FhirError. The Fastify routes and the Bundle processor both call these.
 */
import type { Bundle, BundleEntry, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { ResourceDefinition } from '../resources/definition.js';
import { definitionOf } from '../resources/index.js';
import { DOCUMENTO_SYSTEM } from '../resources/patient.js';
import { FHIR_ID, type RowKey, documentoOfPatientReference, keyOfId } from '../storage/fhirIds.js';
import { type ResourceStore, type StoredResource, keyColumns } from '../storage/resourceStore.js';
import { buildSearchSql, type Keyset } from '../storage/searchSql.js';
import type { SqlRunner, SqlSession } from '../storage/sqlSession.js';
import { capabilityStatement } from './capabilityStatement.js';
import type { FhirContext } from './context.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { type FhirError, badRequest, conflict, gone, invalidResource, methodNotAllowed, notFound, outcome, preconditionFailed } from './outcomes.js';
import { type FhirResult, STATUS_TEXT, etagOf, versionHeaders, versionOfEtag, writeResult } from './responses.js';
import { parseSearch } from './searchParameters.js';
import { assertValidR4 } from './validation.js';

const SAFE_INTEGER_DIGITS = /^[1-9][0-9]{0,14}$/;

export class FhirRouter {
  readonly startedAt = new Date().toISOString();

  constructor(
    private readonly sql: SqlRunner,
    private readonly store: ResourceStore,
  ) {}

  definition(type: string): ResourceDefinition {
    const def = definitionOf(type);
    if (!def) throw notFound(`resource type ${JSON.stringify(type)} is not supported here (see /metadata).`);
    return def;
  }

  /** The row key an id names; 400 when it cannot be a FHIR id, undefined when no row can have it. */
  private keyOf(def: ResourceDefinition, id: string): RowKey | undefined {
    if (!FHIR_ID.test(id)) throw badRequest(`${JSON.stringify(id.slice(0, 80))} is not a FHIR id (1-64 of A-Z a-z 0-9 - .).`);
    return keyOfId(def.scope, id);
  }

  private session(ctx: FhirContext): SqlSession {
    return ctx.session ?? this.sql.session();
  }

  private write<T>(ctx: FhirContext, fn: (s: SqlSession) => Promise<T>): Promise<T> {
    return ctx.session ? fn(ctx.session) : this.sql.transaction(fn);
  }

  metadata(ctx: FhirContext): FhirResult {
    return { status: 200, body: capabilityStatement(ctx.baseUrl, this.startedAt) };
  }

  private async deletedOrMissing(s: SqlSession, def: ResourceDefinition, key: RowKey, id: string): Promise<FhirError> {
    const [latest] = await this.store.history(s, def, key);
    if (latest?.deleted) return gone(`${def.type}/${id} was deleted (version ${latest.versionId}).`);
    return notFound(`${def.type}/${id} does not exist.`);
  }

  async read(ctx: FhirContext, type: string, id: string): Promise<FhirResult> {
    const def = this.definition(type);
    const key = this.keyOf(def, id);
    if (!key) throw notFound(`${type}/${id} does not exist.`);
    const s = this.session(ctx);
    const stored = await this.store.read(s, def, key);
    if (!stored) throw await this.deletedOrMissing(s, def, key, id);
    return { status: 200, body: stored.resource, headers: versionHeaders(ctx, stored) };
  }

  async vread(ctx: FhirContext, type: string, id: string, vid: string): Promise<FhirResult> {
    const def = this.definition(type);
    const key = this.keyOf(def, id);
    if (!/^[1-9][0-9]{0,17}$/.test(vid)) throw badRequest(`${JSON.stringify(vid.slice(0, 40))} is not a version id.`);
    if (!key) throw notFound(`${type}/${id} does not exist.`);
    const s = this.session(ctx);
    const [version] = await this.store.history(s, def, key, Number(vid));
    if (version?.deleted) throw gone(`${type}/${id} version ${vid} is its deletion.`);
    if (version?.resource) {
      return { status: 200, body: version.resource, headers: { ETag: etagOf(version.versionId), 'Last-Modified': new Date(version.lastUpdated).toUTCString() } };
    }
    // A row loaded by COPY has its first version only in the table itself.
    const current = await this.store.read(s, def, key);
    if (current && current.versionId === Number(vid)) return { status: 200, body: current.resource, headers: versionHeaders(ctx, current) };
    throw notFound(`${type}/${id} has no version ${vid}.`);
  }

  async history(ctx: FhirContext, type: string, id: string): Promise<FhirResult> {
    const def = this.definition(type);
    const key = this.keyOf(def, id);
    if (!key) throw notFound(`${type}/${id} does not exist.`);
    const s = this.session(ctx);
    const versions = await this.store.history(s, def, key);
    const current = await this.store.read(s, def, key);
    if (current && !versions.some((v) => v.versionId === current.versionId)) {
      versions.unshift({ versionId: current.versionId, lastUpdated: current.lastUpdated, deleted: false, resource: current.resource });
    }
    if (!versions.length) throw notFound(`${type}/${id} does not exist.`);
    const oldest = versions[versions.length - 1]?.versionId;
    const entry: BundleEntry[] = versions.map((v) => ({
      fullUrl: `${ctx.baseUrl}/${type}/${id}`,
      ...(v.resource ? { resource: v.resource } : {}),
      request: { method: v.deleted ? 'DELETE' : v.versionId === oldest ? 'POST' : 'PUT', url: v.versionId === oldest && !v.deleted ? type : `${type}/${id}` },
      response: {
        status: v.deleted ? '204 No Content' : v.versionId === oldest ? '201 Created' : '200 OK',
        etag: etagOf(v.versionId),
        lastModified: v.lastUpdated,
      },
    }));
    const bundle: Bundle = { resourceType: 'Bundle', type: 'history', total: entry.length, link: [{ relation: 'self', url: `${ctx.baseUrl}/${type}/${id}/_history` }], entry };
    return { status: 200, body: bundle };
  }

  /** A resource from a request body for `type`: an object of that resourceType, valid R4. */
  private checkedBody(def: ResourceDefinition, body: unknown): Resource {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest(`the body must be a ${def.type} resource (a JSON object).`);
    const resourceType = (body as { resourceType?: unknown }).resourceType;
    if (resourceType !== def.type) {
      throw badRequest(`the body is ${resourceType === undefined ? 'missing resourceType' : `a ${JSON.stringify(resourceType)}`}, but this endpoint takes ${def.type}.`, ['resourceType']);
    }
    assertValidR4(body as Resource);
    return body as Resource;
  }

  /** The documento_id a compartment resource belongs to, from its subject. */
  private subjectDocumento(def: ResourceDefinition, resource: Resource): string {
    const reference = (resource as { subject?: { reference?: string } }).subject?.reference;
    const documento = reference ? documentoOfPatientReference(reference) : undefined;
    if (!reference?.startsWith('Patient/') || !documento) {
      throw invalidResource([
        {
          severity: 'error',
          code: 'required',
          diagnostics: `${def.type}.subject must reference Patient/<id>: it puts the resource in that patient's compartment (its shard).`,
          expression: [`${def.type}.subject`],
        },
      ]);
    }
    return documento;
  }

  private async newKey(s: SqlSession, def: ResourceDefinition, resource: Resource): Promise<{ key: RowKey; resource: Resource }> {
    if (def.scope === 'reference') return { key: { local: await this.store.nextId(s) }, resource };
    if (def.scope === 'compartment') {
      const documento = this.subjectDocumento(def, resource);
      if (!(await this.store.patientExists(s, documento))) {
        throw invalidResource([{ severity: 'error', code: 'not-found', diagnostics: `Patient/${documento} does not exist.`, expression: [`${def.type}.subject`] }]);
      }
      return { key: { documento, local: await this.store.nextId(s) }, resource };
    }
    // A Patient: its documento identifier becomes its id; without one the server assigns one.
    const identifiers = (resource as { identifier?: { system?: string; value?: string }[] }).identifier ?? [];
    const given = identifiers.find((i) => i.system === DOCUMENTO_SYSTEM)?.value;
    if (given !== undefined && !SAFE_INTEGER_DIGITS.test(given)) {
      throw invalidResource([{ severity: 'error', code: 'value', diagnostics: `a ${DOCUMENTO_SYSTEM} identifier is a number of 1-15 digits without leading zeros.`, expression: ['Patient.identifier'] }]);
    }
    const local = await this.store.nextId(s);
    const documento = given ?? local;
    const withIdentifier = given ? resource : { ...resource, identifier: [...identifiers, { system: DOCUMENTO_SYSTEM, value: documento }] };
    return { key: { documento, local }, resource: withIdentifier as Resource };
  }

  async create(ctx: FhirContext, type: string, body: unknown, ifNoneExist?: string): Promise<FhirResult> {
    const def = this.definition(type);
    const resource = this.checkedBody(def, body);
    return this.write(ctx, async (s) => {
      if (ifNoneExist) {
        const existing = await this.matchForConditionalCreate(s, def, ifNoneExist);
        if (existing) return writeResult(ctx, 200, existing, `${type}/${existing.resource.id} already matches ${ifNoneExist}; nothing created.`);
      }
      const { key, resource: toStore } = await this.newKey(s, def, resource);
      if (def.scope === 'patient' && (await this.store.read(s, def, key))) {
        throw conflict(`Patient/${String(key.documento)} already exists (its ${DOCUMENTO_SYSTEM} identifier is its id).`);
      }
      const stored = await this.store.insert(s, def, key, toStore);
      return writeResult(ctx, 201, stored, `created ${type}/${stored.resource.id}`);
    });
  }

  /** If-None-Exist: the one match (nothing is created), none (go ahead), or 412 for several. */
  private async matchForConditionalCreate(s: SqlSession, def: ResourceDefinition, query: string): Promise<StoredResource | undefined> {
    const params = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query.replace(/^[A-Za-z]+\?/, ''));
    const search = parseSearch(def, params);
    if (search.unknown.length || !search.filters.length) {
      throw badRequest(`If-None-Exist must use ${def.type} search parameters only (unknown: ${search.unknown.join(', ') || 'none given'}).`);
    }
    // Two identical conditional creates at once must not both create: serialise on the criteria.
    await s.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${def.type}?${params.toString()}`]);
    const sql = buildSearchSql(def, { ...search, count: 2, total: 'none' });
    const rows = await this.store.search(s, def, sql.text, sql.values);
    if (rows.length > 1) throw preconditionFailed(`If-None-Exist ${query} matches more than one ${def.type}.`);
    return rows[0];
  }

  async update(ctx: FhirContext, type: string, id: string, body: unknown, ifMatch?: string): Promise<FhirResult> {
    const def = this.definition(type);
    const key = this.keyOf(def, id);
    const resource = this.checkedBody(def, body);
    if (resource.id !== id) throw badRequest(`the body's id (${JSON.stringify(resource.id ?? null)}) must be the id in the URL (${id}).`, [`${type}.id`]);
    if (!key) throw methodNotAllowed(`${type}/${id} does not exist and update does not create resources here: POST it to /${type}.`);
    if (def.scope === 'compartment' && this.subjectDocumento(def, resource) !== key.documento) {
      throw invalidResource([{ severity: 'error', code: 'business-rule', diagnostics: `${type}/${id} belongs to Patient/${String(key.documento)}; a resource cannot move to another patient.`, expression: [`${type}.subject`] }]);
    }
    let expected: number | undefined;
    if (ifMatch !== undefined) {
      expected = versionOfEtag(ifMatch);
      if (expected === undefined) throw badRequest(`If-Match ${JSON.stringify(ifMatch)} is not an ETag like W/"3".`);
    }
    return this.write(ctx, async (s) => {
      const current = await this.store.read(s, def, key);
      if (!current) {
        const missing = await this.deletedOrMissing(s, def, key, id);
        throw missing.status === 410 ? missing : methodNotAllowed(`${type}/${id} does not exist and update does not create resources here: POST it to /${type}.`);
      }
      if (expected !== undefined && expected !== current.versionId) {
        throw preconditionFailed(`${type}/${id} is at version ${current.versionId}, not ${expected}: read it again and reapply the change.`);
      }
      const toStore = def.scope === 'patient' ? withDocumentoIdentifier(resource, String(key.documento)) : resource;
      const stored = await this.store.update(s, def, current, toStore);
      if (!stored) throw expected !== undefined ? preconditionFailed(`${type}/${id} changed meanwhile.`) : conflict(`${type}/${id} changed meanwhile; retry.`);
      return writeResult(ctx, 200, stored, `updated ${type}/${id} to version ${stored.versionId}`);
    });
  }

  async delete(ctx: FhirContext, type: string, id: string): Promise<FhirResult> {
    const def = this.definition(type);
    const key = this.keyOf(def, id);
    if (!key) throw notFound(`${type}/${id} does not exist.`);
    return this.write(ctx, async (s) => {
      const current = await this.store.read(s, def, key);
      if (!current) {
        const missing = await this.deletedOrMissing(s, def, key, id);
        if (missing.status === 410) return { status: 200, body: outcome('informational', `${type}/${id} was already deleted.`, 'information') };
        throw missing;
      }
      if (def.scope === 'patient' && (await this.store.compartmentHasResources(s, String(key.documento)))) {
        throw conflict(`Patient/${id} still has resources in its compartment: delete those first.`);
      }
      const version = await this.store.delete(s, def, current);
      if (version === undefined) throw conflict(`${type}/${id} changed meanwhile; retry.`);
      return { status: 200, headers: { ETag: etagOf(version) }, body: outcome('informational', `deleted ${type}/${id} (version ${version}).`, 'information') };
    });
  }

  async search(ctx: FhirContext, type: string, params: URLSearchParams): Promise<FhirResult> {
    const def = this.definition(type);
    const search = parseSearch(def, params);
    if (search.unknown.length && ctx.prefer.strict) {
      throw badRequest(`unknown or unsupported search parameters: ${search.unknown.join(', ')} (Prefer: handling=strict).`);
    }
    const keyset: Keyset | undefined = search.cursor ? decodeCursor(search.cursor, keyColumns(def).length, search.sort.by !== 'key') : undefined;
    const s = this.session(ctx);
    const sql = buildSearchSql(def, search, keyset);
    const rows = await this.store.search(s, def, sql.text, sql.values);
    const more = rows.length > search.count;
    const page = rows.slice(0, search.count);
    const backwards = keyset?.direction === 'previous';
    if (backwards) page.reverse();
    const total = search.total === 'accurate' ? await this.store.count(s, sql.countText, sql.countValues) : undefined;

    const base = new URLSearchParams(params);
    base.delete('_cursor');
    const link = (cursor?: Keyset) => {
      const p = new URLSearchParams(base);
      if (cursor) p.set('_cursor', encodeCursor(cursor));
      return `${ctx.baseUrl}/${type}?${p.toString()}`;
    };
    const keyOfRow = (r: (typeof page)[number]) => ({ sortValue: r.sortValue, key: keyValuesOf(def, r.key) });
    const links: Bundle['link'] = [{ relation: 'self', url: link(keyset) }];
    const first = page[0];
    const last = page[page.length - 1];
    if (last && (backwards || more)) links.push({ relation: 'next', url: link({ ...keyOfRow(last), direction: 'next' }) });
    if (first && (backwards ? more : keyset !== undefined)) links.push({ relation: 'previous', url: link({ ...keyOfRow(first), direction: 'previous' }) });

    const entry: BundleEntry[] = page.map((r) => ({ fullUrl: `${ctx.baseUrl}/${type}/${r.resource.id}`, resource: r.resource, search: { mode: 'match' } }));
    if (search.unknown.length) {
      const ignored: OperationOutcome = outcome('not-supported', `ignored unknown or unsupported search parameters: ${search.unknown.join(', ')}`, 'warning');
      entry.push({ resource: ignored, search: { mode: 'outcome' } });
    }
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', ...(total !== undefined ? { total } : {}), link: links, entry };
    return { status: 200, body: bundle };
  }

  async everything(ctx: FhirContext, id: string): Promise<FhirResult> {
    const def = this.definition('Patient');
    const key = this.keyOf(def, id);
    if (!key) throw notFound(`Patient/${id} does not exist.`);
    const s = this.session(ctx);
    const all = await this.store.everything(s, String(key.documento));
    if (!all.some((r) => r.resource.resourceType === 'Patient')) throw await this.deletedOrMissing(s, def, key, id);
    all.sort((a, b) => (a.resource.resourceType === 'Patient' ? -1 : b.resource.resourceType === 'Patient' ? 1 : 0));
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: all.length,
      link: [{ relation: 'self', url: `${ctx.baseUrl}/Patient/${id}/$everything` }],
      entry: all.map((r) => ({ fullUrl: `${ctx.baseUrl}/${r.resource.resourceType}/${r.resource.id}`, resource: r.resource, search: { mode: 'match' } })),
    };
    return { status: 200, body: bundle };
  }
}

function keyValuesOf(def: ResourceDefinition, key: RowKey): string[] {
  if (def.scope === 'patient') return [String(key.documento)];
  if (def.scope === 'compartment') return [String(key.documento), String(key.local)];
  return [String(key.local)];
}

function withDocumentoIdentifier(resource: Resource, documento: string): Resource {
  const identifiers = (resource as { identifier?: { system?: string; value?: string }[] }).identifier ?? [];
  const own = identifiers.find((i) => i.system === DOCUMENTO_SYSTEM);
  if (own && own.value !== documento) {
    throw invalidResource([{ severity: 'error', code: 'business-rule', diagnostics: `Patient/${documento} keeps documento ${documento}: its id is that number.`, expression: ['Patient.identifier'] }]);
  }
  return own ? resource : ({ ...resource, identifier: [...identifiers, { system: DOCUMENTO_SYSTEM, value: documento }] } as Resource);
}

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? ''}`.trim();
}

