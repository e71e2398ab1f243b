/**
 * A local TCP port that carries connections to a pod's port through the API server (a port-forward via
 * the client library, one WebSocket per connection), like `kubectl port-forward` but inside this process.
 *
 * When the forward fails before the pod said anything (pod not listening yet, no route to the kubelet),
 * the tunnel answers the PostgreSQL client itself with an ErrorResponse (SQLSTATE 57P03, "cannot connect
 * now") naming the cause, as a connection pooler does: the client then reports why, instead of an
 * anonymous "Connection terminated", and the lab's readiness wait knows to keep waiting.
 */
import net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { PortForward } from '@kubernetes/client-node';
// Not re-exported by the package index; built with inert streams so nothing can touch this process's stdio.
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import type { SqlEndpoint } from '../labEnvironment.js';
import type { KubeClients } from './kubeClient.js';

const CANNOT_CONNECT_NOW = '57P03';

export interface ForwardTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly port: number;
}

export async function openPortForward(kube: KubeClients, target: ForwardTarget): Promise<SqlEndpoint> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    tunnel(kube, target, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const { port } = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function tunnel(kube: KubeClients, target: ForwardTarget, socket: net.Socket): void {
  const where = `pod ${target.namespace}/${target.pod} port ${target.port}`;
  let answered = false;
  let ended = false;
  let closeForward: () => void = () => undefined;

  const fail = (reason: string) => {
    if (ended) return;
    ended = true;
    closeForward();
    if (answered || socket.destroyed) socket.destroy();
    else socket.end(errorResponse(CANNOT_CONNECT_NOW, `port-forward to ${where} failed: ${reason}`));
  };
  const toClient = new Writable({
    write(chunk: Buffer, _encoding, done) {
      // The first frame of each channel carries only the port number, which arrives here empty.
      if (chunk.length === 0) return done();
      answered = true;
      if (socket.destroyed) return done();
      socket.write(chunk, () => done());
    },
  });
  // The kubelet writes why a forward failed on the error channel.
  const forwardErrors = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8').trim();
      if (text) fail(text);
      done();
    },
  });
  socket.on('error', () => closeForward());
  socket.on('close', () => {
    ended = true;
    closeForward();
  });

  const handler = new WebSocketHandler(kube.config, undefined, { stdin: inert(), stdout: inert(), stderr: inert() });
  new PortForward(kube.config, true, handler)
    .portForward(target.namespace, target.pod, [target.port], toClient, forwardErrors, socket)
    .then(
      (opened) => {
        const ws = typeof opened === 'function' ? opened() : opened;
        if (!ws) return fail('no connection');
        closeForward = () => ws.close();
        if (ended) return ws.close();
        ws.on('close', () => (answered ? socket.end() : fail('the API server closed the forward')));
        ws.on('error', (err: Error) => fail(err.message));
      },
      (err: unknown) => fail(errorText(err)),
    );
}

/** A PostgreSQL ErrorResponse message (protocol 3.0): 'E', length, then typed NUL-terminated fields. */
export function errorResponse(sqlstate: string, message: string): Buffer {
  const field = (type: string, value: string) => Buffer.concat([Buffer.from(type, 'ascii'), Buffer.from(value, 'utf8'), Buffer.from([0])]);
  const body = Buffer.concat([field('S', 'FATAL'), field('V', 'FATAL'), field('C', sqlstate), field('M', message), Buffer.from([0])]);
  const header = Buffer.alloc(5);
  header.write('E', 0, 'ascii');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

function errorText(err: unknown): string {
  // The WebSocket library rejects with an ErrorEvent, not an Error.
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message ? message : String(err);
}

function inert(): PassThrough {
  const stream = new PassThrough();
  stream.resume();
  return stream;
}
