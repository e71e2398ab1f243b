/**
 * The routes anyone may call without a token, and the routes left out of the audit trail. Probes and
 * documentation are public and unaudited (a load balancer asks /ready every few seconds); the login
 * routes are public but audited, every attempt.
 */
const OPEN = new Set(['/app', '/health', '/ready', '/metadata', '/openapi.json', '/docs', '/auth/login', '/auth/refresh', '/auth/logout']);
// /app/ is the dashboard's static bundle (no data in it: the page calls the API with the user's token).
const OPEN_PREFIXES = ['/.well-known/', '/docs/', '/app/'];
const UNAUDITED = new Set(['/app', '/health', '/ready', '/metadata', '/openapi.json', '/docs', '/metrics']);

export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function isPublic(url: string): boolean {
  const path = pathOf(url);
  return OPEN.has(path) || OPEN_PREFIXES.some((p) => path.startsWith(p));
}

export function isAudited(url: string): boolean {
  const path = pathOf(url);
  return !UNAUDITED.has(path) && !OPEN_PREFIXES.some((p) => path.startsWith(p));
}
