/** A parsed query object (Fastify's: repeated keys become arrays) back into URLSearchParams. */
export function toSearchParams(query: Record<string, unknown>): URLSearchParams {
  const pairs: [string, string][] = [];
  for (const [k, v] of Object.entries(query)) {
    for (const x of Array.isArray(v) ? v : [v]) if (x !== undefined) pairs.push([k, String(x)]);
  }
  return new URLSearchParams(pairs);
}
