/**
 * Installs authentication, authorization and the audit trail on the API's Fastify instance:
 *
 *   onRequest   the request's audit context; then, unless the route is public, its credentials
 *               become request.principal (or 401)
 *   preHandler  for FHIR routes, the role's scopes decide (403/405), and request.access carries the
 *               compartment filter and the in-transaction audit hook to the repository
 *   onSend      the request's AuditEvent, unless its write transaction already holds it
 *
 * plus the routes /auth/*, /.well-known/jwks.json, /admin/* and /AuditEvent. Call it on the root
 * instance before the FHIR routes are registered.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { auditTargetOf, documentoOfTarget } from '../audit/auditTarget.js';
import { registerAuditRoutes } from '../audit/auditRoutes.js';
import { RequestAudit } from '../audit/requestAudit.js';
import { tokenVerifier } from './accessTokens.js';
import { registerAdminRoutes } from './adminRoutes.js';
import { Authenticator, Unauthenticated, credentialsOf } from './authenticate.js';
import { registerAuthRoutes } from './authRoutes.js';
import { authorize, authorizeAll, type Decision } from './authorize.js';
import { classifyFhirRequest, type FhirTarget } from './fhirRequest.js';
import type { Principal } from './principal.js';
import { isAudited, isPublic, pathOf } from './publicPaths.js';
import { FHIR_JSON, operationOutcome, sendOutcome } from './replies.js';
import type { RequestAccess } from './requestAccess.js';
import type { SigningKey } from './signingKey.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    access?: RequestAccess;
    audit?: RequestAudit;
    fhirTarget?: FhirTarget;
  }
}

export interface ApiAuthOptions {
  readonly db: Pool;
  /** The key new tokens are signed with. */
  readonly signingKey: SigningKey;
  /** Older keys whose tokens are still accepted (during a key rotation). */
  readonly previousKeys?: readonly SigningKey[];
  readonly userCacheMs?: number;
}

export interface ApiAuth {
  readonly authenticator: Authenticator;
}

function subjectFromBody(body: unknown): string | undefined {
  const b = body as { subject?: { reference?: unknown }; patient?: { reference?: unknown } } | null;
  const ref = b?.subject?.reference ?? b?.patient?.reference;
  if (typeof ref !== 'string') return undefined;
  const m = /^Patient\/([1-9][0-9]{0,18})$/.exec(ref);
  return m?.[1] && BigInt(m[1]) <= 9223372036854775807n ? m[1] : undefined;
}

function bundleTargets(body: unknown): FhirTarget[] | undefined {
  const entries = (body as { entry?: unknown } | null)?.entry;
  if (!Array.isArray(entries)) return [];
  const targets: FhirTarget[] = [];
  for (const e of entries) {
    const req = (e as { request?: { method?: unknown; url?: unknown } } | null)?.request;
    if (typeof req?.method !== 'string' || typeof req.url !== 'string') continue;
    const t = classifyFhirRequest(req.method, `/${req.url.replace(/^\//, '')}`);
    if (!t) return undefined;
    targets.push(t);
  }
  return targets;
}

function diagnosticsOf(payload: string): string | undefined {
  try {
    const issue = (JSON.parse(payload) as { issue?: { diagnostics?: unknown }[] }).issue?.[0];
    return typeof issue?.diagnostics === 'string' ? issue.diagnostics : undefined;
  } catch {
    return undefined;
  }
}

/** auth/login -> login; admin/users/x -> admin-users (the audit subtype of a non-FHIR route). */
function subtypeOfPath(url: string): string {
  const [first, second] = pathOf(url).split('/').filter(Boolean);
  if (first === 'auth' && second) return second;
  return [first, second].filter(Boolean).join('-') || 'request';
}

export async function installAuth(app: FastifyInstance, options: ApiAuthOptions): Promise<ApiAuth> {
  const verify = tokenVerifier([options.signingKey, ...(options.previousKeys ?? [])]);
  const authenticator = new Authenticator({ db: options.db, verify, ...(options.userCacheMs !== undefined ? { userCacheMs: options.userCacheMs } : {}) });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const target = classifyFhirRequest(request.method, request.url);
    if (target) request.fhirTarget = target;
    if (isAudited(request.url)) {
      request.audit = new RequestAudit(
        { method: request.method, url: request.url, address: request.ip },
        target
          ? { subtype: target.operation ? `operation` : target.interaction, action: target.action }
          : { subtype: subtypeOfPath(request.url), action: 'E' },
      );
    }
    if (isPublic(request.url)) return;
    try {
      const principal = await authenticator.authenticate(credentialsOf(request.headers));
      request.principal = principal;
      if (request.audit) request.audit.who = { agent: principal.username, agentRole: principal.role, ...(principal.apiKeyId ? { apiKeyId: principal.apiKeyId } : {}) };
    } catch (err) {
      if (!(err instanceof Unauthenticated)) throw err;
      if (request.audit) request.audit.detail = err.message;
      return sendOutcome(reply, 401, err.message);
    }
  });

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const target = request.fhirTarget;
    const principal = request.principal;
    if (!principal) return;
    // Fail closed: a FHIR route the request could not be read as (an odd encoding of its path, say) is refused,
    // never let through without a decision.
    const routeType = request.routeOptions.config.resourceType;
    if (routeType && target?.type !== routeType) return sendOutcome(reply, 403, 'this request could not be matched to a FHIR interaction');
    if (!target) return;
    const audit = request.audit;
    if (audit) {
      const where = auditTargetOf(target, (request.query ?? {}) as Record<string, unknown>, principal.documentoId);
      audit.entity = where.entity;
      audit.documentoId = where.documentoId ?? (target.interaction === 'create' ? subjectFromBody(request.body) : undefined);
      if (target.operation) audit.detail = `$${target.operation}`;
    }
    let decision: Decision;
    if (target.interaction === 'batch') {
      const entries = bundleTargets(request.body);
      decision = entries ? authorizeAll(principal, entries) : { ok: false, status: 403, reason: 'a Bundle entry names no FHIR interaction this server knows' };
    } else {
      decision = authorize(principal, target);
    }
    if (!decision.ok) {
      if (audit) audit.detail = decision.reason;
      return sendOutcome(reply, decision.status, decision.reason);
    }
    // A by-id request into another patient's compartment: the same 404 as a resource that does not exist.
    if (decision.compartment && target.id && documentoOfTarget(target) !== decision.compartment) {
      const what = target.interaction === 'search-type' ? `Patient/${target.id}` : `${target.type ?? 'Patient'}/${target.id}`;
      if (audit) audit.detail = 'outside the caller\'s compartment';
      return sendOutcome(reply, 404, `${what} does not exist.`);
    }
    request.access = {
      ...(decision.compartment ? { compartment: decision.compartment } : {}),
      recordWrite: async (client, write) => {
        await audit?.recordWrite(client, write);
      },
    };
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const audit = request.audit;
    if (!audit) return payload;
    // A refusal or failure keeps the reason it was answered with (AuditEvent.outcomeDesc).
    if (reply.statusCode >= 400 && !audit.detail && typeof payload === 'string') audit.detail = diagnosticsOf(payload);
    try {
      await audit.finish(options.db, reply.statusCode);
      return payload;
    } catch (err) {
      request.log.error({ err }, 'audit event could not be written');
      reply.code(503).type(FHIR_JSON);
      return JSON.stringify(operationOutcome('transient', 'the audit trail cannot be written right now, so nothing is answered; retry shortly'));
    }
  });

  await app.register(async (scope) => {
    // Validation and other errors of these routes as OperationOutcome too (the FHIR routes have their own handler).
    scope.setErrorHandler((err: { statusCode?: number; message: string; validation?: unknown }, request, reply) => {
      const status = err.validation ? 400 : (err.statusCode ?? 500);
      if (status >= 500) request.log.error({ err }, 'auth route failed');
      if (request.audit) request.audit.detail = err.message;
      return sendOutcome(reply, status, status >= 500 ? 'internal error' : err.message);
    });
    registerAuthRoutes(scope, { db: options.db, signingKey: options.signingKey });
    registerAdminRoutes(scope, { db: options.db, authenticator });
    registerAuditRoutes(scope, { db: options.db });
  });
  return { authenticator };
}
