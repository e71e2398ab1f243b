/**
 * The /app/ routes over a real bundle: the page for every client route, the assets, the headers.
 * Over a socket (light-my-request's inject does not load under jest's ESM mode).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildDashboard } from '../../../src/api/dashboard/buildDashboard.js';
import { dashboardPlugin } from '../../../src/api/dashboard/dashboardPlugin.js';

describe('dashboardPlugin', () => {
  let dir: string;
  let app: FastifyInstance;
  let base: string;

  async function get(url: string, server = base) {
    const res = await fetch(`${server}${url}`, { redirect: 'manual' });
    return { statusCode: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-dashboard-'));
    await buildDashboard(dir);
    app = Fastify();
    await app.register(dashboardPlugin, { dir });
    app.get('/elsewhere', async () => ({ ok: true }));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test.each(['/app/', '/app/login', '/app/admin', '/app/practitioner/anything'])('%s answers the page', async (url) => {
    const res = await get(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<div id="root"></div>');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-frame-options']).toBe('DENY');
  });

  test('/app redirects to /app/', async () => {
    const res = await get('/app');
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/app/');
  });

  test('serves the bundle, which references nothing outside this origin', async () => {
    const js = await get('/app/assets/main.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.body.length).toBeGreaterThan(50_000);
    const css = await get('/app/assets/main.css');
    expect(css.statusCode).toBe(200);
    const page = (await get('/app/')).body;
    expect(page).not.toMatch(/(src|href)="https?:/);
    expect(css.body).not.toMatch(/url\(\s*['"]?https?:/);
  });

  test('a missing asset is a 404, not the page', async () => {
    expect((await get('/app/assets/nope.js')).statusCode).toBe(404);
  });

  test('the headers stay on /app: other routes are untouched', async () => {
    const res = await get('/elsewhere');
    expect(res.headers['content-security-policy']).toBeUndefined();
  });

  test('without a bundle, /app/ says how to build it (503)', async () => {
    const empty = Fastify();
    await empty.register(dashboardPlugin, { dir: path.join(dir, 'missing') });
    try {
      const res = await get('/app/', await empty.listen({ host: '127.0.0.1', port: 0 }));
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('npm run build:dashboard');
    } finally {
      await empty.close();
    }
  });
});
