/**
 * GET /AuditEvent (search) and GET /AuditEvent/:id for the roles with AuditEvent scopes (auditor,
 * admin; the auth preHandler has decided before these run). Every other method answers 405: no
 * one creates, changes or deletes an audit record through the API.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { FHIR_JSON, sendOutcome } from '../auth/replies.js';
import { parseAuditEventId, toAuditEvent } from './auditEvent.js';
import { toSearchParams } from './queryString.js';
import { AuditSearchError, cursorOf, parseAuditQuery, readAuditEvent, searchAuditEvents } from './auditSearch.js';

export interface AuditRouteOptions {
  readonly db: Pool;
}

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function registerAuditRoutes(app: FastifyInstance, options: AuditRouteOptions): void {
  const { db } = options;

  app.get('/AuditEvent', async (request, reply) => {
    const params = request.query as Record<string, string | string[]>;
    let parsed;
    try {
      parsed = parseAuditQuery(params);
    } catch (err) {
      if (err instanceof AuditSearchError) return sendOutcome(reply, 400, err.message);
      throw err;
    }
    const { query, ignored } = parsed;
    const { rows, more, total } = await searchAuditEvents(db, query);
    const base = baseUrl(request);
    const self = toSearchParams(params);
    self.delete('_cursor');
    const last = rows[rows.length - 1];
    const next = new URLSearchParams(self);
    if (last) next.set('_cursor', cursorOf(last));
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(total !== undefined ? { total } : {}),
      link: [
        { relation: 'self', url: `${base}/AuditEvent${self.size ? `?${self.toString()}` : ''}` },
        ...(more && last ? [{ relation: 'next', url: `${base}/AuditEvent?${next.toString()}` }] : []),
      ],
      entry: [
        ...rows.map((row) => {
          const resource = toAuditEvent(row);
          return { fullUrl: `${base}/AuditEvent/${String(resource.id)}`, resource, search: { mode: 'match' } };
        }),
        ...(ignored.length
          ? [
              {
                resource: {
                  resourceType: 'OperationOutcome',
                  issue: ignored.map((p) => ({ severity: 'warning', code: 'not-supported', diagnostics: `unknown search parameter ${p} was ignored` })),
                },
                search: { mode: 'outcome' },
              },
            ]
          : []),
      ],
    };
    return reply.type(FHIR_JSON).send(bundle);
  });

  app.get('/AuditEvent/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const key = parseAuditEventId(id);
    const row = key ? await readAuditEvent(db, key.documentoId, key.eventId) : undefined;
    if (!row) return sendOutcome(reply, 404, `AuditEvent/${id} is not known`);
    return reply.type(FHIR_JSON).send(toAuditEvent(row));
  });

  const refuse = async (_request: FastifyRequest, reply: FastifyReply) =>
    sendOutcome(reply, 405, 'AuditEvent is read-only: nobody creates, changes or deletes audit records through the API');
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: '/AuditEvent', handler: refuse });
  app.route({ method: ['POST', 'PUT', 'PATCH', 'DELETE'], url: '/AuditEvent/:id', handler: refuse });
}
