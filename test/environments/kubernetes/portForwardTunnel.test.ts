/**
 * When a port-forward fails before the pod answered, the tunnel answers the PostgreSQL client itself
 * with an ErrorResponse. Here a plain TCP server sends exactly those bytes to the real `pg` driver, through
 * the lab's own connection helper: the cause must arrive as a waitable NodeNotReady. (The tunnel against
 * a real API server is exercised in ../minikube/minikubeEnvironment.test.ts.)
 */
import net from 'node:net';
import { withNodeClient } from '../../../src/activities/postgres/connect.js';
import { parseLabSpec } from '../../../src/config/labSpec.js';
import type { LabEnvironment } from '../../../src/environments/labEnvironment.js';
import { errorResponse } from '../../../src/environments/kubernetes/portForwardTunnel.js';

test('the pg driver reads the tunnel’s ErrorResponse, and the lab reports it as NodeNotReady with the cause', async () => {
  const server = net.createServer((socket) => {
    socket.once('data', () => socket.end(errorResponse('57P03', 'port-forward to pod ns/citus-worker-0 port 5432 failed: connection refused')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  let closed = 0;
  const node = { name: 'worker-0', role: 'worker' as const, host: 'citus-worker-0.citus-worker.ns.svc.cluster.local', port: 5432, clusterHost: 'x', clusterPort: 5432 };
  const env = {
    spec: parseLabSpec({ env: 'minikube', dataDir: '/tmp/citus-lab-never-created' }),
    nodes: () => [node],
    credentials: async () => ({ user: 'postgres', password: 'unused' }),
    openSqlEndpoint: async () => ({
      host: '127.0.0.1',
      port,
      close: async () => {
        closed++;
      },
    }),
  } as unknown as LabEnvironment;
  try {
    const err = await withNodeClient(env, 'worker-0', 'postgres', async () => 'connected?').catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'NodeNotReady', nonRetryable: false });
    // The node's own address in the message, the forward's cause from the tunnel.
    expect((err as Error).message).toBe(
      'worker-0 (citus-worker-0.citus-worker.ns.svc.cluster.local:5432) is not accepting connections yet ' +
        '(port-forward to pod ns/citus-worker-0 port 5432 failed: connection refused): wait for it to finish starting.',
    );
    expect(closed).toBe(1);
  } finally {
    server.close();
  }
});
