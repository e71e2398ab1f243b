/**
 * batch and transaction Bundles. Each entry goes through the same FhirRouter methods as a single
 * request. A transaction runs every entry on one database transaction (all or nothing, also across
 * patients: Citus commits multi-shard transactions with two-phase commit); a batch runs each entry
 * on its own. urn:uuid fullUrls of created resources are replaced in later entries' references.
 */
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { SqlRunner } from '../storage/sqlSession.js';
import type { FhirContext } from './context.js';
import { MAX_BUNDLE_ENTRIES } from './interactions.js';
import { FhirError, badRequest, methodNotAllowed, tooLarge, toFhirError } from './outcomes.js';
import type { FhirResult } from './responses.js';
import { type FhirRouter, statusLine } from './router.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** FHIR's processing order inside a transaction. */
const ORDER: Readonly<Record<Method, number>> = { DELETE: 0, POST: 1, PUT: 2, GET: 3 };

interface EntryRequest {
  readonly index: number;
  readonly method: Method;
  readonly url: string;
  readonly fullUrl?: string;
  readonly resource?: Resource;
  readonly ifMatch?: string;
  readonly ifNoneExist?: string;
}

export class BundleProcessor {
  constructor(
    private readonly router: FhirRouter,
    private readonly sql: SqlRunner,
  ) {}

  async process(ctx: FhirContext, body: unknown): Promise<FhirResult> {
    const bundle = body as Bundle;
    if (typeof body !== 'object' || body === null || bundle.resourceType !== 'Bundle') {
      throw badRequest('POST / takes a Bundle of type batch or transaction.', ['resourceType']);
    }
    if (bundle.type !== 'batch' && bundle.type !== 'transaction') throw badRequest(`Bundle.type ${JSON.stringify(bundle.type)}: use batch or transaction.`, ['Bundle.type']);
    const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
    if (entries.length > MAX_BUNDLE_ENTRIES) {
      throw tooLarge(`the Bundle has ${entries.length} entries; at most ${MAX_BUNDLE_ENTRIES} per request: split it.`, ['Bundle.entry']);
    }
    return bundle.type === 'transaction' ? this.transaction(ctx, entries) : this.batch(ctx, entries);
  }

  private parseEntry(entry: BundleEntry, index: number): EntryRequest {
    const method = entry.request?.method;
    const url = entry.request?.url;
    if (!method || !url || !(method in ORDER)) {
      throw badRequest(`entry ${index}: request.method (GET, POST, PUT or DELETE) and request.url are required.`, [`Bundle.entry[${index}].request`]);
    }
    return {
      index,
      method: method as Method,
      url,
      ...(entry.fullUrl ? { fullUrl: entry.fullUrl } : {}),
      ...(entry.resource ? { resource: entry.resource } : {}),
      ...(entry.request?.ifMatch ? { ifMatch: entry.request.ifMatch } : {}),
      ...(entry.request?.ifNoneExist ? { ifNoneExist: entry.request.ifNoneExist } : {}),
    };
  }

  private async batch(ctx: FhirContext, entries: BundleEntry[]): Promise<FhirResult> {
    const out: BundleEntry[] = [];
    for (const [index, entry] of entries.entries()) {
      try {
        out.push(responseEntry(await this.dispatch(ctx, this.parseEntry(entry, index), new Map())));
      } catch (err) {
        const e = toFhirError(err);
        out.push({ response: { status: statusLine(e.status), outcome: e.outcome } });
      }
    }
    return { status: 200, body: { resourceType: 'Bundle', type: 'batch-response', entry: out } };
  }

  private async transaction(ctx: FhirContext, entries: BundleEntry[]): Promise<FhirResult> {
    const requests = entries.map((e, i) => this.parseEntry(e, i));
    // Patients first among the creates: the others name them as their subject.
    const rank = (r: EntryRequest) => ORDER[r.method] * 2 + (r.method === 'POST' && r.resource?.resourceType !== 'Patient' ? 1 : 0);
    const ordered = [...requests].sort((a, b) => rank(a) - rank(b) || a.index - b.index);
    const results = await this.sql.transaction(async (session) => {
      const inTx: FhirContext = { ...ctx, session };
      const created = new Map<string, string>();
      const byIndex: FhirResult[] = [];
      for (const request of ordered) {
        let result: FhirResult;
        try {
          result = await this.dispatch(inTx, request, created);
        } catch (err) {
          const e = toFhirError(err);
          const issue = e.outcome.issue?.map((i) => ({ ...i, diagnostics: `entry ${request.index} (${request.method} ${request.url}): ${i.diagnostics ?? ''}` }));
          throw new FhirError(e.status, { ...e.outcome, ...(issue ? { issue } : {}) });
        }
        if (request.method === 'POST' && request.fullUrl && result.body?.id) created.set(request.fullUrl, `${result.body.resourceType}/${result.body.id}`);
        else if (request.method === 'POST' && request.fullUrl && result.headers?.Location) {
          created.set(request.fullUrl, result.headers.Location.replace(`${ctx.baseUrl}/`, '').replace(/\/_history\/\d+$/, ''));
        }
        byIndex[request.index] = result;
      }
      return byIndex;
    });
    return { status: 200, body: { resourceType: 'Bundle', type: 'transaction-response', entry: results.map(responseEntry) } };
  }

  /** Runs one entry through the router; its url is relative to the server base (`Patient/1`, `Observation?patient=1`). */
  private async dispatch(ctx: FhirContext, request: EntryRequest, created: ReadonlyMap<string, string>): Promise<FhirResult> {
    const [path = '', query] = request.url.replace(/^\//, '').split('?', 2);
    const parts = path.split('/');
    const [type = '', id, sub, vid] = parts;
    const resource = request.resource ? resolveReferences(request.resource, created) : undefined;
    const prefer = { ...ctx.prefer, return: 'representation' as const };
    // The resource of a created entry is needed for references, whatever Prefer says; trimmed below.
    const entryCtx: FhirContext = { ...ctx, prefer };
    if (query !== undefined && request.method !== 'GET') throw badRequest(`${request.method} ${request.url}: conditional ${request.method} is not supported.`);
    let result: FhirResult;
    if (request.method === 'GET') {
      if (parts.length === 1) result = await this.router.search(entryCtx, type, new URLSearchParams(query ?? ''));
      else if (parts.length === 2 && id) result = await this.router.read(entryCtx, type, id);
      else if (parts.length === 3 && id && sub === '$everything' && type === 'Patient') result = await this.router.everything(entryCtx, id);
      else if (parts.length === 3 && id && sub === '_history') result = await this.router.history(entryCtx, type, id);
      else if (parts.length === 4 && id && sub === '_history' && vid) result = await this.router.vread(entryCtx, type, id, vid);
      else throw badRequest(`GET ${request.url}: not an interaction this server has.`);
    } else if (request.method === 'POST' && parts.length === 1) {
      result = await this.router.create(entryCtx, type, resource, request.ifNoneExist);
    } else if (request.method === 'PUT' && parts.length === 2 && id) {
      result = await this.router.update(entryCtx, type, id, resource, request.ifMatch);
    } else if (request.method === 'DELETE' && parts.length === 2 && id) {
      result = await this.router.delete(entryCtx, type, id);
    } else {
      throw methodNotAllowed(`${request.method} ${request.url}: not an interaction this server has.`);
    }
    if (ctx.prefer.return === 'minimal' && request.method !== 'GET') {
      return { status: result.status, ...(result.headers ? { headers: result.headers } : {}) };
    }
    return result;
  }
}

function responseEntry(result: FhirResult): BundleEntry {
  const h = result.headers ?? {};
  return {
    ...(result.body ? { resource: result.body } : {}),
    response: {
      status: statusLine(result.status),
      ...(h.Location ? { location: h.Location } : {}),
      ...(h.ETag ? { etag: h.ETag } : {}),
      ...(h['Last-Modified'] ? { lastModified: new Date(h['Last-Modified']).toISOString() } : {}),
    },
  };
}

/** A copy of the resource with every `reference` naming a created entry's fullUrl pointing at what it became. */
function resolveReferences(resource: Resource, created: ReadonlyMap<string, string>): Resource {
  if (!created.size) return resource;
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, k === 'reference' && typeof v === 'string' && created.has(v) ? created.get(v) : walk(v)]),
      );
    }
    return value;
  };
  return walk(resource) as Resource;
}
