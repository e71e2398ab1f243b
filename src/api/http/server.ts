/**
 * The Fastify adapter: content types, body limit, one error handler, metrics, OpenAPI and thin
 * routes that hand each request to the FhirRouter. No FHIR logic lives here.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type pg from 'pg';
import { BundleProcessor } from '../fhir/bundles.js';
import { type FhirContext, parsePrefer } from '../fhir/context.js';
import { MAX_BODY_BYTES, OPERATIONS, TYPE_ROUTES } from '../fhir/interactions.js';
import { FhirError, badRequest, methodNotAllowed, notFound, outcome, toFhirError, tooLarge, unavailable, unsupportedMediaType } from '../fhir/outcomes.js';
import type { FhirResult } from '../fhir/responses.js';
import { FhirRouter } from '../fhir/router.js';
import { RESOURCE_DEFINITIONS } from '../resources/index.js';
import { ResourceStore } from '../storage/resourceStore.js';
import { SqlRunner, type StatementObserver } from '../storage/sqlSession.js';
import { createMetrics } from './metrics.js';
import { installAuth, type ApiAuthOptions } from '../auth/authPlugin.js';
import { routeSchema } from './schemas.js';
import { clusterRoutes } from '../cluster/clusterRoutes.js';
import { dashboardPlugin } from '../dashboard/dashboardPlugin.js';
import type { LabSpec } from '../../config/labSpec.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export interface ApiServerDeps {
  pool: pg.Pool;
  onStatement?: StatementObserver;
  /** Authentication, roles and audit (src/api/auth); without it every route is open (loopback only). */
  auth?: Omit<ApiAuthOptions, 'db'>;
  /** The lab this API serves: the admin dashboard's cluster overview lists its Temporal runs. */
  lab?: Pick<LabSpec, 'env' | 'cluster'>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    interaction?: string;
    resourceType?: string;
  }
}

function send(reply: FastifyReply, result: FhirResult): FastifyReply {
  reply.code(result.status);
  for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v);
  if (!result.body) return reply.send();
  return reply.type(FHIR_JSON).send(result.body);
}

function contextOf(request: FastifyRequest): FhirContext {
  return { baseUrl: `${request.protocol}://${request.host}`, prefer: parsePrefer(request.headers.prefer), ...(request.access ? { access: request.access } : {}) };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Fastify's own failures (body parsing, limits, schema validation) as OperationOutcomes. */
function fastifyError(err: { code?: string; statusCode?: number; message: string }): FhirError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return tooLarge(`the request body is larger than ${MAX_BODY_BYTES} bytes.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(`send application/fhir+json (or application/json): ${err.message}`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return badRequest('the request body is empty.');
    case 'FST_ERR_VALIDATION':
      return badRequest(err.message);
  }
  if (err.statusCode === 413) return tooLarge(err.message);
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new FhirError(err.statusCode, outcome('invalid', err.message));
  return undefined;
}

const TYPE_NAMES = new Set(RESOURCE_DEFINITIONS.map((d) => d.type as string));
const KNOWN_PATH = /^\/(?:[A-Za-z]+(?:\/_search|\/[^/]+(?:\/_history(?:\/[^/]+)?|\/\$everything)?)?|metadata|health|ready|metrics)?$/;

export async function buildApiServer(deps: ApiServerDeps): Promise<FastifyInstance> {
  const sql = new SqlRunner(deps.pool, deps.onStatement);
  const store = new ResourceStore();
  const router = new FhirRouter(sql, store);
  const bundles = new BundleProcessor(router, sql);
  const metrics = createMetrics(deps.pool);

  // Long ids must reach the router (which answers 400), not fail route matching (404).
  const app = Fastify({ bodyLimit: MAX_BODY_BYTES, logger: false, routerOptions: { maxParamLength: 2048 } });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/fhir+json'], { parseAs: 'string' }, (_req, body, done) => {
    // fhir-kit-client and others send a JSON content type with bodiless DELETEs.
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(badRequest(`the body is not JSON: ${err instanceof Error ? err.message : String(err)}`), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });

  app.setErrorHandler((err, _request, reply) => {
    const fhir = err instanceof FhirError ? err : (fastifyError(err as never) ?? toFhirError(err));
    return send(reply, { status: fhir.status, body: fhir.outcome });
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const type = path.split('/')[1] ?? '';
    const known = KNOWN_PATH.test(path) && (TYPE_NAMES.has(type) || ['', 'metadata', 'health', 'ready', 'metrics'].includes(type));
    const error = known
      ? methodNotAllowed(`${request.method} ${path} is not an interaction this server has.`)
      : TYPE_NAMES.has(type) || !/^[A-Z]/.test(type)
        ? notFound(`nothing at ${path}.`)
        : notFound(`resource type ${JSON.stringify(type)} is not supported here (see /metadata).`);
    return send(reply, { status: error.status, body: error.outcome });
  });

  app.addHook('onResponse', async (request, reply) => {
    const config = request.routeOptions.config;
    metrics.observe(config.interaction ?? 'other', config.resourceType ?? '', reply.statusCode, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'citus-lab FHIR R4 API', version: '0.1.0', description: 'FHIR R4 over the Citus lab: each patient compartment lives on one shard.' },
      servers: [],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // After swagger (so /openapi.json lists the auth routes too), before every route it must guard.
  if (deps.auth) await installAuth(app, { db: deps.pool, ...deps.auth });

  app.get('/openapi.json', { schema: { hide: true }, config: { interaction: 'openapi' } }, async () => app.swagger());
  app.get('/health', { schema: routeSchema('health'), config: { interaction: 'health' } }, async () => ({ status: 'up' }));
  app.get('/ready', { schema: routeSchema('ready'), config: { interaction: 'ready' } }, async (_request, reply) => {
    try {
      await store.ping(sql.session());
      return { status: 'ready' };
    } catch (err) {
      const e = toFhirError(err);
      const down = e.status === 503 ? e : unavailable(`the database does not answer: ${e.message}`);
      return send(reply, { status: 503, body: down.outcome });
    }
  });
  app.get('/metrics', { schema: routeSchema('metrics'), config: { interaction: 'metrics' } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/metadata', { schema: routeSchema('metadata'), config: { interaction: 'capabilities' } }, async (request, reply) =>
    send(reply, router.metadata(contextOf(request))),
  );
  app.post('/', { schema: routeSchema('bundle'), config: { interaction: 'transaction' } }, async (request, reply) =>
    send(reply, await bundles.process(contextOf(request), request.body)),
  );

  for (const def of RESOURCE_DEFINITIONS) {
    const type = def.type as string;
    for (const shape of TYPE_ROUTES) {
      const url = `/${type}${shape.path}`;
      const config = { interaction: shape.interaction, resourceType: type };
      const schema = routeSchema(shape.interaction, type);
      app.route<{ Params: { id: string; vid: string }; Body: unknown }>({
        method: shape.method,
        url,
        schema,
        config,
        handler: async (request, reply) => {
          const ctx = contextOf(request);
          const { id, vid } = request.params;
          switch (shape.interaction) {
            case 'search-type':
              return send(reply, await router.search(ctx, type, new URLSearchParams(request.url.split('?')[1] ?? '')));
            case 'search-type-post': {
              const params = new URLSearchParams(request.url.split('?')[1] ?? '');
              if (request.body instanceof URLSearchParams) for (const [k, v] of request.body) params.append(k, v);
              else if (request.body !== undefined) throw unsupportedMediaType('POST _search takes application/x-www-form-urlencoded parameters.');
              return send(reply, await router.search(ctx, type, params));
            }
            case 'create':
              return send(reply, await router.create(ctx, type, request.body, header(request, 'if-none-exist')));
            case 'read':
              return send(reply, await router.read(ctx, type, id));
            case 'update':
              return send(reply, await router.update(ctx, type, id, request.body, header(request, 'if-match')));
            case 'delete':
              return send(reply, await router.delete(ctx, type, id));
            case 'history-instance':
              return send(reply, await router.history(ctx, type, id));
            case 'vread':
              return send(reply, await router.vread(ctx, type, id, vid));
            case 'everything':
              return send(reply, await router.everything(ctx, id));
          }
        },
      });
    }
    // Operations answer GET and POST (FHIR lets clients POST any operation; $everything takes no body parameters here).
    for (const op of OPERATIONS.filter((o) => o.type === type)) {
      app.route<{ Params: { id: string } }>({
        method: ['GET', 'POST'],
        url: `/${type}/:id/$${op.name}`,
        schema: routeSchema('everything', type),
        config: { interaction: op.name, resourceType: type },
        handler: async (request, reply) => send(reply, await router.everything(contextOf(request), request.params.id)),
      });
    }
  }
  // The dashboards (/app/) and the admin's cluster overview (/admin/cluster).
  await app.register(dashboardPlugin, {});
  await app.register(clusterRoutes, { pool: deps.pool, ...(deps.lab ? { lab: deps.lab } : {}) });
  await app.ready();
  return app;
}
