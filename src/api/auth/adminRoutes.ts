/**
 * /admin/users and /admin/api-keys: who may use the API. Only a principal with `admin/users` scopes
 * gets here (403 otherwise). Each change commits in one transaction with its AuditEvent. Users are
 * never deleted (the audit trail names them): DELETE deactivates. A role, patient, password or
 * activation change revokes the user's refresh tokens, and their access tokens fail at once (the
 * token no longer matches the stored user).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool, PoolClient } from 'pg';
import { createApiKey, listApiKeys, revokeApiKey } from './apiKeys.js';
import type { Authenticator } from './authenticate.js';
import { inTransaction } from './db.js';
import { generatePassword, hashPassword } from './passwords.js';
import { revokeUserTokens } from './refreshTokens.js';
import { sendOutcome } from './replies.js';
import { ROLES, isValidScope, mayManageUsers, narrowScopes, type Permission, type Role } from './roles.js';
import { USERNAME, createUser, findUser, listUsers, publicUser, updateUser, type UserChange } from './userStore.js';

export interface AdminRouteOptions {
  readonly db: Pool;
  readonly authenticator: Authenticator;
}

const DOCUMENTO = { type: 'string', pattern: '^[1-9][0-9]{0,18}$' } as const;

const newUserBody = {
  type: 'object',
  required: ['username', 'role'],
  additionalProperties: false,
  properties: {
    username: { type: 'string', pattern: USERNAME.source },
    role: { type: 'string', enum: [...ROLES] },
    documentoId: DOCUMENTO,
    password: { type: 'string', minLength: 12, maxLength: 256 },
  },
} as const;

const changeBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    role: { type: 'string', enum: [...ROLES] },
    documentoId: { anyOf: [DOCUMENTO, { type: 'null' }] },
    active: { type: 'boolean' },
    password: { type: 'string', minLength: 12, maxLength: 256 },
  },
} as const;

const newKeyBody = {
  type: 'object',
  required: ['name', 'username'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    username: { type: 'string', pattern: USERNAME.source },
    scopes: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 20 },
    expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
  },
} as const;

const usernameParams = { type: 'object', properties: { username: { type: 'string', pattern: USERNAME.source } } } as const;
const keyParams = { type: 'object', properties: { keyId: { type: 'string', format: 'uuid' } } } as const;

class AdminRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function patientRule(role: Role, documentoId: string | null | undefined): void {
  if (role === 'patient' && !documentoId) throw new AdminRefusal(400, 'a patient user needs documentoId (the patient it is)');
  if (role !== 'patient' && documentoId) throw new AdminRefusal(400, 'only patient users have a documentoId');
}

export function registerAdminRoutes(app: FastifyInstance, options: AdminRouteOptions): void {
  const { db, authenticator } = options;

  /** Runs an admin action: scope check, then the change and its AuditEvent in one transaction. */
  const admin =
    (permission: Permission, status: number, action: (request: FastifyRequest, client: PoolClient) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = request.principal;
      if (!principal || !mayManageUsers(principal.scopes, permission)) {
        return sendOutcome(reply, 403, `role ${principal?.role ?? 'anonymous'} may not manage users or API keys`);
      }
      if (request.audit) request.audit.action = permission === 'r' ? 'R' : permission === 'c' ? 'C' : permission === 'd' ? 'D' : 'U';
      try {
        const body = await inTransaction(db, async (client) => {
          const result = await action(request, client);
          await request.audit?.recordOn(client, status);
          return result;
        });
        reply.code(status);
        return status === 204 ? reply.send() : body;
      } catch (err) {
        if (err instanceof AdminRefusal) {
          if (request.audit) request.audit.detail = err.message;
          return sendOutcome(reply, err.status, err.message);
        }
        throw err;
      }
    };

  app.get('/admin/users', admin('r', 200, async (_req, client) => ({ users: await listUsers(client) })));

  app.get(
    '/admin/users/:username',
    { schema: { params: usernameParams } },
    admin('r', 200, async (request, client) => {
      const { username } = request.params as { username: string };
      const user = await findUser(client, username);
      if (!user) throw new AdminRefusal(404, `no user ${username}`);
      return publicUser(user);
    }),
  );

  app.post(
    '/admin/users',
    { schema: { body: newUserBody } },
    admin('c', 201, async (request, client) => {
      const body = request.body as { username: string; role: Role; documentoId?: string; password?: string };
      patientRule(body.role, body.documentoId);
      const password = body.password ?? generatePassword();
      if (request.audit) request.audit.entity = `users/${body.username}`;
      const created = await createUser(client, { username: body.username, role: body.role, ...(body.documentoId ? { documentoId: body.documentoId } : {}), passwordHash: await hashPassword(password) });
      if (!created) throw new AdminRefusal(409, `user ${body.username} exists`);
      // A generated password is shown this once, like an API key; one the admin chose is not echoed.
      return { username: body.username, role: body.role, ...(body.documentoId ? { documentoId: body.documentoId } : {}), active: true, ...(body.password ? {} : { password }) };
    }),
  );

  const change = (request: FastifyRequest, client: PoolClient, patch: UserChange & { password?: string }) =>
    (async () => {
      const { username } = request.params as { username: string };
      if (request.audit) request.audit.entity = `users/${username}`;
      const current = await findUser(client, username);
      if (!current) throw new AdminRefusal(404, `no user ${username}`);
      const role = patch.role ?? current.role;
      const documentoId = patch.documentoId === undefined ? current.documentoId : patch.documentoId;
      patientRule(role, documentoId);
      const { password, ...rest } = patch;
      const updated = await updateUser(client, username, {
        ...rest,
        ...(patch.role && patch.role !== 'patient' && patch.documentoId === undefined ? { documentoId: null } : {}),
        ...(password ? { passwordHash: await hashPassword(password) } : {}),
      });
      await revokeUserTokens(client, username);
      authenticator.forget(username);
      if (request.audit) request.audit.detail = `changed: ${Object.keys(patch).join(', ')}`;
      return updated;
    })();

  app.patch(
    '/admin/users/:username',
    { schema: { params: usernameParams, body: changeBody } },
    admin('u', 200, (request, client) => change(request, client, request.body as UserChange & { password?: string })),
  );

  app.delete(
    '/admin/users/:username',
    { schema: { params: usernameParams } },
    admin('u', 200, (request, client) => change(request, client, { active: false })),
  );

  app.get('/admin/api-keys', admin('r', 200, async (_req, client) => ({ keys: await listApiKeys(client) })));

  app.post(
    '/admin/api-keys',
    { schema: { body: newKeyBody } },
    admin('c', 201, async (request, client) => {
      const body = request.body as { name: string; username: string; scopes?: string[]; expiresInDays?: number };
      const user = await findUser(client, body.username);
      if (!user) throw new AdminRefusal(404, `no user ${body.username}`);
      const bad = (body.scopes ?? []).filter((s) => !isValidScope(s));
      if (bad.length) throw new AdminRefusal(400, `not a scope: ${bad.join(', ')}`);
      const scopes = narrowScopes(user.role, body.scopes);
      if (scopes.length === 0) throw new AdminRefusal(400, `none of the scopes asked for is within role ${user.role}`);
      const { info, secret } = await createApiKey(client, {
        name: body.name,
        username: user.username,
        scopes,
        createdBy: request.principal?.username ?? 'unknown',
        ...(body.expiresInDays ? { expiresAt: new Date(Date.now() + body.expiresInDays * 86_400_000) } : {}),
      });
      if (request.audit) request.audit.entity = `api-keys/${info.keyId}`;
      return { ...info, key: secret };
    }),
  );

  app.delete(
    '/admin/api-keys/:keyId',
    { schema: { params: keyParams } },
    admin('d', 204, async (request, client) => {
      const { keyId } = request.params as { keyId: string };
      if (request.audit) request.audit.entity = `api-keys/${keyId}`;
      if (!(await revokeApiKey(client, keyId))) throw new AdminRefusal(404, `no live API key ${keyId}`);
      return undefined;
    }),
  );
}
