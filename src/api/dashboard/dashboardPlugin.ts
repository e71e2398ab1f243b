/**
 * Serves the bundled dashboard at /app/: the bundle's files under /app/assets/, and index.html for
 * every other /app path (the page routes itself: /app/login, /app/admin, ...). The files hold no
 * data, so they are public; every call the page makes goes to the API with the user's token.
 * A strict Content-Security-Policy (scripts, styles and connections from this origin only) is what
 * makes keeping the access token in page memory safe enough.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEFAULT_DASHBOARD_DIR } from './buildDashboard.js';

export const DASHBOARD_PREFIX = '/app';

export interface DashboardOptions {
  /** The bundle (buildDashboard's outDir); CITUS_LAB_DASHBOARD_DIR or dist/dashboard by default. */
  readonly dir?: string;
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function dashboardDir(options: DashboardOptions = {}, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(options.dir ?? env.CITUS_LAB_DASHBOARD_DIR ?? DEFAULT_DASHBOARD_DIR);
}

function notBuilt(reply: FastifyReply, dir: string): FastifyReply {
  return reply
    .code(503)
    .type('text/plain; charset=utf-8')
    .send(`The dashboard is not built (no ${path.join(dir, 'index.html')}): run \`npm run build:dashboard\` (npm run setup does it).\n`);
}

/** Register on the API's root instance; its routes and headers stay inside this plugin's scope. */
export async function dashboardPlugin(app: FastifyInstance, options: DashboardOptions): Promise<void> {
  const dir = dashboardDir(options);
  const indexFile = path.join(dir, 'index.html');

  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    // Not hashed file names, so the browser revalidates (ETag) instead of keeping a stale bundle.
    reply.header('cache-control', 'no-cache');
    return payload;
  });

  await app.register(fastifyStatic, {
    root: path.join(dir, 'assets'),
    prefix: `${DASHBOARD_PREFIX}/assets/`,
    schemaHide: true,
    index: false,
    // The bundle may be built after the server started (setup, a rebuild): look it up per request.
    wildcard: true,
  });

  const page = async (_request: unknown, reply: FastifyReply) => {
    let html: string;
    try {
      html = await fs.promises.readFile(indexFile, 'utf8');
    } catch {
      return notBuilt(reply, dir);
    }
    return reply.type('text/html; charset=utf-8').send(html);
  };
  app.get(DASHBOARD_PREFIX, { schema: { hide: true } }, async (_request, reply) => reply.redirect(`${DASHBOARD_PREFIX}/`));
  app.get(`${DASHBOARD_PREFIX}/`, { schema: { hide: true } }, page);
  app.get(`${DASHBOARD_PREFIX}/*`, { schema: { hide: true } }, page);
}
