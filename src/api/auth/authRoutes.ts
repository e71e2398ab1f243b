/**
 * POST /auth/login, /auth/refresh, /auth/logout and GET /.well-known/jwks.json. Answers follow the
 * OAuth 2.0 token response (access_token, token_type, expires_in, refresh_token, scope; `patient` as
 * SMART adds it). Every attempt is audited; a password is never logged, stored or echoed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Pool } from 'pg';
import { ACCESS_TOKEN_SECONDS, issueAccessToken } from './accessTokens.js';
import { clearFailures, lockedForSeconds, recordFailure } from './loginThrottle.js';
import { dummyHash, verifyPassword } from './passwords.js';
import { issueRefreshToken, revokeRefreshToken, rotateRefreshToken } from './refreshTokens.js';
import { sendOutcome } from './replies.js';
import { ROLE_SCOPES } from './roles.js';
import type { SigningKey } from './signingKey.js';
import { findUser, type ApiUser } from './userStore.js';

export interface AuthRouteOptions {
  readonly db: Pool;
  readonly signingKey: SigningKey;
}

const credentialsBody = {
  type: 'object',
  required: ['username', 'password'],
  properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

const refreshBody = {
  type: 'object',
  required: ['refresh_token'],
  properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

/**
 * Login forms post urlencoded bodies; JSON clients post JSON. The FHIR server already parses forms
 * (into URLSearchParams, for POST _search); here they become the plain object the schemas check.
 */
function acceptForms(app: FastifyInstance): void {
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
      done(null, new URLSearchParams(body as string));
    });
  }
  app.addHook('preValidation', async (request) => {
    if (request.body instanceof URLSearchParams) request.body = Object.fromEntries(request.body);
  });
}

function setAgent(request: FastifyRequest, agent: string, role?: string): void {
  if (request.audit) request.audit.who = { agent, ...(role ? { agentRole: role } : {}) };
}

export function registerAuthRoutes(app: FastifyInstance, options: AuthRouteOptions): void {
  const { db, signingKey } = options;
  acceptForms(app);

  const tokens = async (reply: FastifyReply, user: ApiUser, refreshToken: string) => {
    const scopes = ROLE_SCOPES[user.role];
    const accessToken = await issueAccessToken(signingKey, { username: user.username, role: user.role, scopes, ...(user.documentoId ? { documentoId: user.documentoId } : {}) });
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_SECONDS,
      refresh_token: refreshToken,
      scope: scopes.join(' '),
      role: user.role,
      ...(user.documentoId ? { patient: user.documentoId } : {}),
    };
  };

  app.post('/auth/login', { schema: { body: credentialsBody } }, async (request, reply) => {
    const { username, password } = request.body as { username: string; password: string };
    const address = request.ip;
    setAgent(request, username);
    const wait = await lockedForSeconds(db, username, address);
    if (wait > 0) {
      if (request.audit) request.audit.detail = 'locked out: too many failed logins';
      reply.header('retry-after', String(wait));
      return sendOutcome(reply, 429, `too many failed logins for this user or address; retry in ${wait} s`);
    }
    const user = await findUser(db, username);
    const matches = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !matches || !user.active) {
      await recordFailure(db, username, address);
      if (request.audit) request.audit.detail = 'invalid username or password';
      return sendOutcome(reply, 401, 'invalid username or password');
    }
    await clearFailures(db, username);
    setAgent(request, user.username, user.role);
    return tokens(reply, user, await issueRefreshToken(db, user.username));
  });

  app.post('/auth/refresh', { schema: { body: refreshBody } }, async (request, reply) => {
    const { refresh_token: presented } = request.body as { refresh_token: string };
    const rotation = await rotateRefreshToken(db, presented);
    if (!rotation.ok) {
      if (rotation.username) setAgent(request, rotation.username);
      const text =
        rotation.reason === 'reused'
          ? 'this refresh token was already used: every token of its login is now revoked; log in again'
          : `the refresh token is ${rotation.reason === 'unknown' ? 'not one this server issued' : rotation.reason}`;
      if (request.audit) request.audit.detail = text;
      return sendOutcome(reply, 401, text);
    }
    const user = await findUser(db, rotation.username);
    if (!user?.active) {
      setAgent(request, rotation.username);
      return sendOutcome(reply, 401, 'the user of this refresh token is deactivated');
    }
    setAgent(request, user.username, user.role);
    return tokens(reply, user, rotation.refreshToken);
  });

  app.post('/auth/logout', { schema: { body: refreshBody } }, async (request, reply) => {
    const { refresh_token: presented } = request.body as { refresh_token: string };
    const owner = await revokeRefreshToken(db, presented);
    if (owner) setAgent(request, owner);
    // 204 either way: logging out twice is not an error, and the answer says nothing about the token.
    return reply.code(204).send();
  });

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return { keys: [signingKey.publicJwk] };
  });
}
