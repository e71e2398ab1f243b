/**
 * `citus-lab api serve` as a process: it serves (here with a database that is down: /health answers,
 * /ready says 503), and SIGTERM or Ctrl-C (SIGINT) stops it cleanly within seconds, exit 0.
 */
import { findFreePortRange } from '../../src/environments/local/ports.js';
import { cliEntry, startProcess } from './runCli.js';

async function waitFor(url: string, timeoutMs = 60_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(1_000) });
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} never answered`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

test.each(['SIGTERM', 'SIGINT'] as const)('serves until %s, then closes and exits 0 within seconds', async (signal) => {
  const base = await findFreePortRange(4);
  const apiPort = base + 3;
  // Nothing listens on base + 2: the database is down, which the API must survive and report.
  const server = startProcess(
    cliEntry,
    ['api', 'serve', '--data-dir', '/tmp/citus-lab-api-serve-test', '--base-port', String(base), '--api-port', String(apiPort), '--pg-host', '127.0.0.1', '--pg-port', String(base + 2)],
    { PGPASSWORD: 'not-used-nothing-listens' },
  );
  try {
    const health = await waitFor(`http://127.0.0.1:${apiPort}/health`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${apiPort}/ready`, { signal: AbortSignal.timeout(10_000) });
    expect(ready.status).toBe(503);
    expect(server.stdout()).toContain(`listening on http://127.0.0.1:${apiPort}`);

    const stoppedAt = Date.now();
    server.child.kill(signal);
    expect(await server.exited).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(server.stdout()).toContain('API stopped.');
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
}, 90_000);
