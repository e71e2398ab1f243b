/**
 * The security tests, run against the running server with authentication on: once on plain
 * PostgreSQL (security.test.ts) and once on Citus where it is installed (security.citus.test.ts).
 * Each role's allowed and refused actions, token attacks, refresh-token reuse, the login lockout,
 * SQL-looking search input, and (last) that every request of the run left exactly one AuditEvent.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureApiSecrets, passwordFile } from '../../../src/api/auth/bootstrap.js';
import { ensureLabApiSecrets } from '../../../src/api/auth/labSecrets.js';
import type { Resource } from '@medplum/fhirtypes';
import { issueAccessToken } from '../../../src/api/auth/accessTokens.js';
import { ROLES, ROLE_SCOPES } from '../../../src/api/auth/roles.js';
import { generateSigningKey, readSigningKey } from '../../../src/api/auth/signingKey.js';
import { isAudited } from '../../../src/api/auth/publicPaths.js';
import { loadR4Definitions, r4Problems } from '../../../src/api/fhir/validation.js';
import type { AuthApiLab, Send } from '../../support/authApiLab.js';
import { runCli } from '../../cli/runCli.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Declares the suite; the getter gives later tests (the Citus-only ones) the running lab. */
export function securitySuite(start: () => Promise<AuthApiLab>): () => AuthApiLab {
  let lab: AuthApiLab;
  let http: Send;
  const tokens: Record<string, string> = {};
  let own = '';
  let other = '';

  const login = async (username: string, password = lab.password(username), send = http) => {
    const res = await send('POST', '/auth/login', { body: { username, password }, headers: { 'content-type': 'application/json' } });
    return res;
  };
  const observation = (documento: string, value = 72) => ({
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${documento}` },
    effectiveDateTime: '2024-03-01T10:00:00Z',
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  });

  beforeAll(async () => {
    lab = await start();
    http = lab.client('127.0.0.1');
    loadR4Definitions();
    const { rows } = await lab.db.query<{ d: string }>('SELECT documento_id::text AS d FROM pacientes ORDER BY documento_id LIMIT 2');
    own = rows[0]?.d ?? '';
    other = rows[1]?.d ?? '';
    for (const role of Object.keys(ROLE_SCOPES)) {
      const res = await login(role);
      expect(res.status).toBe(200);
      tokens[role] = res.body.access_token;
    }
  }, 300_000);
  afterAll(async () => {
    await lab?.close();
  });

  describe('without a token', () => {
    test('probes, metadata, JWKS and docs are open; everything else answers 401', async () => {
      for (const path of ['/health', '/metadata', '/.well-known/jwks.json', '/openapi.json']) {
        expect({ path, status: (await http('GET', path)).status }).toEqual({ path, status: 200 });
      }
      for (const [method, path] of [['GET', `/Patient/${own}`], ['GET', '/Observation'], ['GET', '/AuditEvent'], ['GET', '/admin/users'], ['POST', '/'], ['GET', '/metrics']] as const) {
        const res = await http(method, path, method === 'POST' ? { body: { resourceType: 'Bundle', type: 'batch', entry: [] } } : {});
        expect({ path, status: res.status }).toEqual({ path, status: 401 });
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(res.body.resourceType).toBe('OperationOutcome');
      }
    });

    test('the OpenAPI document lists the auth, admin and AuditEvent routes', async () => {
      const paths = Object.keys(((await http('GET', '/openapi.json')).body as { paths: Record<string, unknown> }).paths);
      expect(paths).toEqual(expect.arrayContaining(['/auth/login', '/auth/refresh', '/auth/logout', '/admin/users', '/admin/api-keys', '/AuditEvent', '/Patient/{id}']));
    });

    test('the JWKS publishes the key whose kid the tokens carry, and no private part', async () => {
      const jwks = (await http('GET', '/.well-known/jwks.json')).body as { keys: Record<string, string>[] };
      const header = JSON.parse(Buffer.from((tokens.admin ?? '').split('.')[0] ?? '', 'base64url').toString()) as { alg: string; kid: string };
      expect(header.alg).toBe('EdDSA');
      expect(jwks.keys.map((k) => k.kid)).toEqual([header.kid]);
      expect(jwks.keys[0]).not.toHaveProperty('d');
    });
  });

  describe('login', () => {
    test('takes form posts as well as JSON, and never echoes the password', async () => {
      const password = lab.password('auditor');
      const res = await http('POST', '/auth/login', { form: { username: 'auditor', password } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, role: 'auditor', scope: 'user/AuditEvent.rs' });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).not.toContain(password);
      const payload = JSON.parse(Buffer.from(String(res.body.access_token).split('.')[1] ?? '', 'base64url').toString()) as { exp: number; iat: number };
      expect(payload.exp - payload.iat).toBe(900);
    });

    test('a wrong password and an unknown user get the same 401', async () => {
      const wrong = await login('admin', 'not-the-password', lab.client('127.0.0.30'));
      const unknown = await login('nobody', 'not-the-password', lab.client('127.0.0.30'));
      expect([wrong.status, unknown.status]).toEqual([401, 401]);
      expect(wrong.body.issue[0].diagnostics).toBe(unknown.body.issue[0].diagnostics);
    });
  });

  describe('role patient', () => {
    test('reads its own record; another patient is not found (404), not forbidden', async () => {
      expect((await http('GET', `/Patient/${own}`, { token: tokens.patient })).status).toBe(200);
      const res = await http('GET', `/Patient/${other}`, { token: tokens.patient });
      expect(res.status).toBe(404);
      expect((await http('GET', `/Patient/${other}/$everything`, { token: tokens.patient })).status).toBe(404);
      const everything = await http('GET', `/Patient/${own}/$everything`, { token: tokens.patient });
      expect(everything.status).toBe(200);
      for (const e of everything.body.entry as { resource: { resourceType: string; id: string } }[]) {
        expect(e.resource.resourceType === 'Patient' ? e.resource.id : e.resource.id.split('-')[0]).toBe(own);
      }
    });

    test('another patient\'s observation by id is 404 too', async () => {
      const { rows } = await lab.db.query<{ id: string }>(
        "SELECT documento_id::text || '-' || observacion_id::text AS id FROM observaciones WHERE documento_id = $1 LIMIT 1",
        [other],
      );
      expect((await http('GET', `/Observation/${rows[0]?.id}`, { token: tokens.patient })).status).toBe(404);
    });

    test('searches see only its own rows, and totals and paging count only those', async () => {
      const { rows } = await lab.db.query<{ n: string }>('SELECT count(*)::text AS n FROM observaciones WHERE documento_id = $1', [own]);
      const mine = Number(rows[0]?.n);
      expect(mine).toBeGreaterThan(1);
      const res = await http('GET', '/Observation?_total=accurate&_count=1', { token: tokens.patient });
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(mine);
      let url: string | undefined = '/Observation?_count=1';
      let seen = 0;
      while (url) {
        const page: { body: { entry?: { resource: { subject: { reference: string } } }[]; link: { relation: string; url: string }[] } } = await http('GET', url, { token: tokens.patient });
        for (const e of page.body.entry ?? []) {
          expect(e.resource.subject.reference).toBe(`Patient/${own}`);
          seen++;
        }
        const next = page.body.link.find((l) => l.relation === 'next')?.url;
        url = next ? new URL(next).pathname + new URL(next).search : undefined;
      }
      expect(seen).toBe(mine);
      const others = await http('GET', `/Observation?patient=${other}&_total=accurate`, { token: tokens.patient });
      expect(others.status).toBe(200);
      expect(others.body.total).toBe(0);
      const patients = await http('GET', '/Patient?_total=accurate', { token: tokens.patient });
      expect(patients.body.total).toBe(1);
    });

    test('is read-only and sees no reference data, users or audit trail', async () => {
      expect((await http('POST', '/Observation', { token: tokens.patient, body: observation(own) })).status).toBe(403);
      expect((await http('GET', '/Practitioner', { token: tokens.patient })).status).toBe(403);
      expect((await http('GET', '/AuditEvent', { token: tokens.patient })).status).toBe(403);
      expect((await http('GET', '/admin/users', { token: tokens.patient })).status).toBe(403);
      const batch = { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'POST', url: 'Observation' }, resource: observation(own) }] };
      expect((await http('POST', '/', { token: tokens.patient, body: batch })).status).toBe(403);
    });

    test('a batch of reads stays inside its compartment', async () => {
      const batch = {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [{ request: { method: 'GET', url: `Patient/${own}` } }, { request: { method: 'GET', url: `Patient/${other}` } }],
      };
      const res = await http('POST', '/', { token: tokens.patient, body: batch });
      expect(res.status).toBe(200);
      expect((res.body.entry as { response: { status: string } }[]).map((e) => e.response.status.slice(0, 3))).toEqual(['200', '404']);
    });
  });

  describe('role practitioner', () => {
    let created = '';
    test('reads every patient, creates and updates clinical resources', async () => {
      expect((await http('GET', `/Patient/${other}`, { token: tokens.practitioner })).status).toBe(200);
      const res = await http('POST', '/Observation', { token: tokens.practitioner, body: observation(other) });
      expect(res.status).toBe(201);
      created = res.body.id;
      const updated = await http('PUT', `/Observation/${created}`, { token: tokens.practitioner, body: { ...observation(other, 80), id: created } });
      expect(updated.status).toBe(200);
    });

    test('may not delete, manage users or read the audit trail', async () => {
      expect((await http('DELETE', `/Observation/${created}`, { token: tokens.practitioner })).status).toBe(403);
      expect((await http('GET', '/admin/users', { token: tokens.practitioner })).status).toBe(403);
      expect((await http('POST', '/admin/users', { token: tokens.practitioner, body: { username: 'mallory', role: 'admin' } })).status).toBe(403);
      expect((await http('GET', '/AuditEvent', { token: tokens.practitioner })).status).toBe(403);
      expect((await lab.db.query("SELECT 1 FROM api_users WHERE username = 'mallory'")).rowCount).toBe(0);
    });

    test('the write and its AuditEvent are one: a failed transaction leaves neither', async () => {
      const before = await lab.db.query<{ n: string }>('SELECT count(*)::text AS n FROM observaciones');
      const bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { request: { method: 'POST', url: 'Observation' }, resource: observation(own) },
          { request: { method: 'POST', url: 'Observation' }, resource: { ...observation(own), notAnElement: true } },
        ],
      };
      const res = await http('POST', '/', { token: tokens.practitioner, body: bundle });
      expect(res.status).toBeGreaterThanOrEqual(400);
      const after = await lab.db.query<{ n: string }>('SELECT count(*)::text AS n FROM observaciones');
      expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
      const { rows } = await lab.db.query<{ status: number; outcome: string }>(
        "SELECT status, outcome FROM api_audit_events WHERE agent = 'practitioner' AND method = 'POST' AND path = '/' ORDER BY recorded DESC LIMIT 2",
      );
      expect(rows).toEqual([{ status: res.status, outcome: '4' }]);
    });

    test('a created resource\'s AuditEvent sits with the patient it concerns', async () => {
      const { rows } = await lab.db.query<{ documento_id: string; subtype: string }>(
        "SELECT documento_id::text, subtype FROM api_audit_events WHERE entity = $1 AND subtype = 'create'",
        [`Observation/${created}`],
      );
      expect(rows).toEqual([{ documento_id: other, subtype: 'create' }]);
    });
  });

  describe('role auditor', () => {
    test('reads no clinical data (403) and searches the trail', async () => {
      expect((await http('GET', `/Patient/${own}`, { token: tokens.auditor })).status).toBe(403);
      expect((await http('GET', '/Observation', { token: tokens.auditor })).status).toBe(403);
      expect((await http('GET', `/Patient/${own}/$everything`, { token: tokens.auditor })).status).toBe(403);
      expect((await http('GET', '/metadata', { token: tokens.auditor })).status).toBe(200);
      const res = await http('GET', `/AuditEvent?patient=${own}&agent=patient&action=R&date=ge2020-01-01&_total=accurate`, { token: tokens.auditor });
      expect(res.status).toBe(200);
      expect(res.body.total).toBeGreaterThan(0);
      for (const e of res.body.entry as { resource: Resource & { agent: { who: { display: string } }[]; action: string; id: string } }[]) {
        expect(e.resource.agent[0]?.who.display).toBe('patient');
        expect(e.resource.action).toBe('R');
        expect(e.resource.id.startsWith(`${own}-`)).toBe(true);
        expect(r4Problems(e.resource)).toEqual([]);
      }
      const one = res.body.entry[0].resource as { id: string };
      expect((await http('GET', `/AuditEvent/${one.id}`, { token: tokens.auditor })).body.id).toBe(one.id);
    });

    test('pages the trail with cursors, newest first, without repeats', async () => {
      const ids = new Set<string>();
      let url: string | undefined = '/AuditEvent?_count=7';
      let last = '9999';
      for (let pages = 0; url && pages < 4; pages++) {
        const page: { body: { entry: { resource: { id: string; recorded: string } }[]; link: { relation: string; url: string }[] } } = await http('GET', url, { token: tokens.auditor });
        for (const e of page.body.entry) {
          expect(ids.has(e.resource.id)).toBe(false);
          ids.add(e.resource.id);
          expect(e.resource.recorded <= last).toBe(true);
          last = e.resource.recorded;
        }
        const next = page.body.link.find((l) => l.relation === 'next')?.url;
        url = next ? new URL(next).pathname + new URL(next).search : undefined;
      }
      expect(ids.size).toBeGreaterThan(7);
    });

    test('nobody changes or deletes an AuditEvent through the API (405)', async () => {
      const res = await http('GET', '/AuditEvent?_count=1', { token: tokens.admin });
      const id = res.body.entry[0].resource.id as string;
      for (const token of [tokens.auditor, tokens.admin]) {
        expect((await http('DELETE', `/AuditEvent/${id}`, { token })).status).toBe(405);
        expect((await http('PUT', `/AuditEvent/${id}`, { token, body: res.body.entry[0].resource })).status).toBe(405);
        expect((await http('POST', '/AuditEvent', { token, body: res.body.entry[0].resource })).status).toBe(405);
      }
      const batch = { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'DELETE', url: `AuditEvent/${id}` } }] };
      expect((await http('POST', '/', { token: tokens.admin, body: batch })).status).toBe(405);
      expect((await http('GET', `/AuditEvent/${id}`, { token: tokens.admin })).status).toBe(200);
    });

    test('bad search values are 400 OperationOutcomes', async () => {
      for (const q of ['date=2024-13-45', 'action=X', '_count=-1', '_count=100000', 'patient=abc', '_cursor=zz']) {
        const res = await http('GET', `/AuditEvent?${q}`, { token: tokens.auditor });
        expect({ q, status: res.status, type: res.body.resourceType }).toEqual({ q, status: 400, type: 'OperationOutcome' });
      }
    });
  });

  describe('role admin', () => {
    test('manages users; a removed role or a deactivated user makes their tokens fail (401)', async () => {
      const created = await http('POST', '/admin/users', { token: tokens.admin, body: { username: 'carla', role: 'practitioner' } });
      expect(created.status).toBe(201);
      const password = created.body.password as string;
      expect(password.length).toBeGreaterThanOrEqual(32);
      const carla = await login('carla', password);
      expect(carla.status).toBe(200);
      expect((await http('GET', `/Patient/${own}`, { token: carla.body.access_token })).status).toBe(200);

      expect((await http('PATCH', '/admin/users/carla', { token: tokens.admin, body: { role: 'auditor' } })).status).toBe(200);
      expect((await http('GET', `/Patient/${own}`, { token: carla.body.access_token })).status).toBe(401);
      expect((await http('POST', '/auth/refresh', { body: { refresh_token: carla.body.refresh_token } })).status).toBe(401);

      const again = await login('carla', password);
      expect(again.body.role).toBe('auditor');
      expect((await http('DELETE', '/admin/users/carla', { token: tokens.admin })).status).toBe(200);
      expect((await http('GET', '/AuditEvent?_count=1', { token: again.body.access_token })).status).toBe(401);
      expect((await login('carla', password)).status).toBe(401);
      expect((await http('POST', '/admin/users', { token: tokens.admin, body: { username: 'pat2', role: 'patient' } })).status).toBe(400);
    });

    test('API keys: shown once, stored hashed, scoped, revocable', async () => {
      const res = await http('POST', '/admin/api-keys', { token: tokens.admin, body: { name: 'etl', username: 'practitioner', scopes: ['user/Observation.rs'] } });
      expect(res.status).toBe(201);
      const key = res.body.key as string;
      expect(res.body.scopes).toEqual(['user/Observation.rs']);
      const stored = await lab.db.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE key_id = $1', [res.body.keyId]);
      expect(stored.rows[0]?.key_hash).not.toContain(key);
      expect(stored.rows[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/);
      const list = await http('GET', '/admin/api-keys', { token: tokens.admin });
      expect(list.text).not.toContain(key);

      expect((await http('GET', '/Observation?_count=1', { headers: { 'x-api-key': key } })).status).toBe(200);
      expect((await http('GET', `/Patient/${own}`, { headers: { authorization: `ApiKey ${key}` } })).status).toBe(403);
      expect((await http('POST', '/Observation', { headers: { 'x-api-key': key }, body: observation(own) })).status).toBe(403);
      const used = await lab.db.query<{ n: string }>('SELECT count(*)::text AS n FROM api_audit_events WHERE api_key_id = $1', [res.body.keyId]);
      expect(Number(used.rows[0]?.n)).toBe(3);

      expect((await http('DELETE', `/admin/api-keys/${res.body.keyId}`, { token: tokens.admin })).status).toBe(204);
      expect((await http('GET', '/Observation?_count=1', { headers: { 'x-api-key': key } })).status).toBe(401);
      const broad = await http('POST', '/admin/api-keys', { token: tokens.admin, body: { name: 'x', username: 'auditor', scopes: ['user/*.cruds'] } });
      expect(broad.status).toBe(400);
    });

    test('deletes clinical resources (kept in history)', async () => {
      const res = await http('POST', '/Observation', { token: tokens.admin, body: observation(own) });
      expect(res.status).toBe(201);
      expect((await http('DELETE', `/Observation/${res.body.id}`, { token: tokens.admin })).status).toBe(200);
      expect((await http('GET', `/Observation/${res.body.id}`, { token: tokens.admin })).status).toBe(410);
    });
  });

  describe('token attacks', () => {
    const claims = (role: string) => ({ iss: 'citus-lab-api', aud: 'citus-lab-fhir', sub: role, role, scope: (ROLE_SCOPES as Record<string, readonly string[]>)[role]?.join(' '), jti: 'x', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });

    test('expired, foreign-signed, alg none and HS256-with-the-public-key tokens are 401', async () => {
      const key = await readSigningKey(lab.secretsDir);
      const subject = { username: 'admin', role: 'admin' as const, scopes: ROLE_SCOPES.admin };
      const expired = await issueAccessToken(key, subject, new Date(Date.now() - 16 * 60_000));
      const foreign = await generateSigningKey();
      const otherKey = await issueAccessToken(foreign, subject);
      // Another key's signature under our kid: the kid alone must not be trusted.
      const [h, p, sig] = otherKey.split('.');
      const ourKid = `${b64({ alg: 'EdDSA', kid: key.kid, typ: 'at+jwt' })}.${p}.${sig}`;
      const none = `${b64({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${b64(claims('admin'))}.`;
      const hsInput = `${b64({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })}.${b64(claims('admin'))}`;
      const hs = `${hsInput}.${createHmac('sha256', JSON.stringify(key.publicJwk)).update(hsInput).digest('base64url')}`;
      const tampered = (() => {
        const [th, , ts] = (tokens.patient ?? '').split('.');
        return `${th}.${b64({ ...claims('admin'), sub: 'patient' })}.${ts}`;
      })();
      expect(h).toBeDefined();
      for (const [name, token] of Object.entries({ expired, otherKey, ourKid, none, hs, tampered, garbage: 'not.a.jwt' })) {
        const res = await http('GET', '/admin/users', { token });
        expect({ name, status: res.status }).toEqual({ name, status: 401 });
      }
      expect((await http('GET', '/admin/users', { token: await issueAccessToken(key, subject) })).status).toBe(200);
    });
  });

  describe('refresh tokens', () => {
    test('rotate; reusing a used one revokes the whole family; logout revokes', async () => {
      const first = (await login('practitioner')).body as { refresh_token: string };
      const second = await http('POST', '/auth/refresh', { body: { refresh_token: first.refresh_token } });
      expect(second.status).toBe(200);
      expect(second.body.refresh_token).not.toBe(first.refresh_token);
      const third = await http('POST', '/auth/refresh', { body: { refresh_token: second.body.refresh_token } });
      expect(third.status).toBe(200);

      const reuse = await http('POST', '/auth/refresh', { body: { refresh_token: first.refresh_token } });
      expect(reuse.status).toBe(401);
      expect(reuse.body.issue[0].diagnostics).toMatch(/already used/);
      expect((await http('POST', '/auth/refresh', { body: { refresh_token: third.body.refresh_token } })).status).toBe(401);

      const stored = await lab.db.query<{ n: string }>('SELECT count(*)::text AS n FROM api_refresh_tokens WHERE token_hash = $1 OR token_hash LIKE $2', [first.refresh_token, 'clr_%']);
      expect(stored.rows[0]?.n).toBe('0');

      const session = (await login('practitioner')).body as { refresh_token: string };
      expect((await http('POST', '/auth/logout', { body: { refresh_token: session.refresh_token } })).status).toBe(204);
      expect((await http('POST', '/auth/refresh', { body: { refresh_token: session.refresh_token } })).status).toBe(401);
    });
  });

  describe('ensureApiSecrets (what deploy calls)', () => {
    test('keeps the key and passwords 0600 in a 0700 dir, and a second run changes nothing', async () => {
      const mode = (f: string) => fs.statSync(f).mode & 0o777;
      expect(mode(lab.secretsDir)).toBe(0o700);
      expect(mode(path.join(lab.secretsDir, 'api-users'))).toBe(0o700);
      expect(mode(path.join(lab.secretsDir, 'api-signing-key.pem'))).toBe(0o600);
      const before = Object.fromEntries(Object.keys(ROLE_SCOPES).map((u) => [u, lab.password(u)]));
      for (const u of Object.keys(before)) expect(mode(passwordFile(lab.secretsDir, u))).toBe(0o600);
      const again = await ensureApiSecrets({ secretsDir: lab.secretsDir, db: lab.db });
      expect(again.users.map((u) => [u.username, u.created, u.passwordWritten])).toEqual(ROLES.map((u) => [u, false, false]));
      for (const [u, p] of Object.entries(before)) expect(lab.password(u)).toBe(p);
      // The same through the lab's spec (what a deploy activity calls).
      const bySpec = await ensureLabApiSecrets(lab.lab.spec);
      expect(bySpec.kid).toBe(again.kid);
      expect(bySpec.users.every((u) => !u.created && !u.passwordWritten)).toBe(true);
      const { rows } = await lab.db.query<{ username: string; role: string; documento_id: string | null }>(
        "SELECT username, role, documento_id::text FROM api_users WHERE username IN ('admin', 'practitioner', 'patient', 'auditor') ORDER BY username",
      );
      expect(rows).toEqual([
        { username: 'admin', role: 'admin', documento_id: null },
        { username: 'auditor', role: 'auditor', documento_id: null },
        { username: 'patient', role: 'patient', documento_id: own },
        { username: 'practitioner', role: 'practitioner', documento_id: null },
      ]);
    });

    test('a lost password file gets a new password that works, the old one no longer does', async () => {
      const old = lab.password('auditor');
      fs.rmSync(passwordFile(lab.secretsDir, 'auditor'));
      const result = await ensureApiSecrets({ secretsDir: lab.secretsDir, db: lab.db });
      expect(result.users.find((u) => u.username === 'auditor')?.passwordWritten).toBe(true);
      const fresh = lab.password('auditor');
      expect(fresh).not.toBe(old);
      expect((await login('auditor', old, lab.client('127.0.0.60'))).status).toBe(401);
      const res = await login('auditor', fresh, lab.client('127.0.0.60'));
      expect(res.status).toBe(200);
      tokens.auditor = res.body.access_token;
    });
  });

  describe('citus-lab api token', () => {
    test('prints a fresh token for an account (and nothing else); an unknown account is an error', async () => {
      const spec = lab.lab.spec;
      const labArgs = ['--data-dir', spec.dataDir, '--cluster', spec.cluster, '--base-port', String(spec.basePort), '--workers', String(spec.workers), '--database', spec.database];
      const run = await runCli(['api', 'token', '--user', 'patient', ...labArgs]);
      expect(run.code).toBe(0);
      const token = run.stdout.trim();
      expect(run.stdout).toBe(`${token}\n`);
      expect((await http('GET', `/Patient/${own}`, { token })).status).toBe(200);
      expect((await http('GET', `/Patient/${other}`, { token })).status).toBe(404);
      const unknown = await runCli(['api', 'token', '--user', 'nobody', ...labArgs]);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toMatch(/no active API user nobody/);
      expect(unknown.stdout).toBe('');
    }, 120_000);
  });

  describe('login lockout', () => {
    test('5 failures for one user: the 6th attempt, even with the right password, is 429 with Retry-After', async () => {
      const created = await http('POST', '/admin/users', { token: tokens.admin, body: { username: 'lockme', role: 'practitioner' } });
      const password = created.body.password as string;
      const from = lab.client('127.0.0.40');
      for (let i = 0; i < 5; i++) expect((await login('lockme', `wrong-${i}`, from)).status).toBe(401);
      const locked = await login('lockme', password, lab.client('127.0.0.41'));
      expect(locked.status).toBe(429);
      const retry = Number(locked.headers['retry-after']);
      expect(retry).toBeGreaterThan(800);
      expect(retry).toBeLessThanOrEqual(900);
      expect((await login('auditor', lab.password('auditor'), lab.client('127.0.0.41'))).status).toBe(200);
    });

    test('5 failures from one address: that address is refused for every user, others are not', async () => {
      const from = lab.client('127.0.0.50');
      for (let i = 0; i < 5; i++) expect((await login(`ghost${i}`, 'wrong', from)).status).toBe(401);
      const locked = await login('auditor', lab.password('auditor'), from);
      expect(locked.status).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      expect((await login('auditor', lab.password('auditor'), lab.client('127.0.0.51'))).status).toBe(200);
    });
  });

  describe('SQL-looking input', () => {
    const evil = ["' OR '1'='1", "1; DROP TABLE pacientes; --", "%' UNION SELECT password_hash FROM api_users --", '$1', "Patient/1' OR 1=1 --", 'ge2024-01-01\'; --'];

    test('in every search parameter of every type: never a 5xx, and a patient still sees only its rows', async () => {
      const metadata = (await http('GET', '/metadata')).body as { rest: { resource: { type: string; searchParam?: { name: string }[] }[] }[] };
      const resources = metadata.rest[0]?.resource ?? [];
      expect(resources.length).toBeGreaterThan(5);
      const before = await lab.db.query<{ n: string }>('SELECT count(*)::text AS n FROM pacientes');
      for (const r of resources) {
        const names = [...(r.searchParam ?? []).map((p) => p.name), '_count', '_sort', '_total', '_cursor'];
        for (const name of names) {
          for (const value of evil) {
            const path = `/${r.type}?${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
            const res = await http('GET', path, { token: tokens.practitioner });
            expect({ path, ok: res.status === 200 || res.status === 400 }).toEqual({ path, ok: true });
            if (res.status === 200) expect(res.body.resourceType).toBe('Bundle');
          }
        }
        if (r.type === 'Observation' || r.type === 'Patient') {
          const res = await http('GET', `/${r.type}?patient=${encodeURIComponent("' OR 1=1 --")}&_id=${encodeURIComponent("1' OR '1'='1")}`, { token: tokens.patient });
          const matches = ((res.body?.entry ?? []) as { resource: { id: string }; search: { mode: string } }[]).filter((e) => e.search.mode === 'match');
          for (const e of matches) expect(e.resource.id.split('-')[0]).toBe(own);
        }
      }
      for (const name of ['patient', 'agent', 'date', 'action', 'subtype', '_count', '_cursor']) {
        for (const value of evil) {
          const res = await http('GET', `/AuditEvent?${name}=${encodeURIComponent(value)}`, { token: tokens.auditor });
          expect({ name, value, ok: res.status === 200 || res.status === 400 }).toEqual({ name, value, ok: true });
        }
      }
      const login = await http('POST', '/auth/login', { body: { username: "admin' --", password: "' OR '1'='1" } });
      expect(login.status).toBe(401);
      const after = await lab.db.query<{ n: string }>('SELECT count(*)::text AS n FROM pacientes');
      expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
    }, 180_000);
  });

  describe('audit trail', () => {
    test('every audited request of this run left exactly one AuditEvent, with the status it got', async () => {
      const expected = new Map<string, number>();
      for (const r of lab.sent) {
        if (!isAudited(r.path)) continue;
        const k = `${r.method} ${r.path} ${r.status}`;
        expected.set(k, (expected.get(k) ?? 0) + 1);
      }
      const { rows } = await lab.db.query<{ k: string; n: string }>("SELECT method || ' ' || path || ' ' || status AS k, count(*)::text AS n FROM api_audit_events GROUP BY 1");
      const actual = new Map(rows.map((r) => [r.k, Number(r.n)]));
      expect(expected.size).toBeGreaterThan(50);
      expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
      const outcomes = await lab.db.query<{ bad: string }>("SELECT count(*)::text AS bad FROM api_audit_events WHERE (status < 400) <> (outcome = '0')");
      expect(outcomes.rows[0]?.bad).toBe('0');
      const secrets = [lab.password('admin'), lab.password('patient'), lab.password('practitioner'), lab.password('auditor')];
      const dump = await lab.db.query<{ t: string }>('SELECT string_agg(t::text, \'\') AS t FROM api_audit_events t');
      for (const s of secrets) expect(dump.rows[0]?.t).not.toContain(s);
    });
  });
  return () => lab;
}
