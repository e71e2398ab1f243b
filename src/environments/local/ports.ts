/** Whether a loopback TCP port is free, and if not, which process listens on it (Linux /proc). */
import fs from 'node:fs';
import net from 'node:net';

/** Binds and releases 127.0.0.1:port; a listener on 0.0.0.0:port makes this fail too. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Inodes of sockets bound to local `port` in /proc/net/tcp{,6}, in any state: besides listeners, an
 * outgoing connection whose ephemeral port happens to be ours blocks the bind just as well.
 */
function socketInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      if (local?.endsWith(`:${hexPort}`) && cols[9] && cols[9] !== '0') inodes.add(cols[9]);
    }
  }
  return inodes;
}

/**
 * `process <comm> (pid N)` for whoever holds the port, or undefined when it cannot be told (no /proc,
 * or the holder belongs to another user and we are not root).
 */
export function describePortHolder(port: number): string | undefined {
  const inodes = socketInodes(port);
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        let comm = '?';
        try {
          comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          // the process exited while we looked
        }
        return `process ${comm} (pid ${pid})`;
      }
    }
  }
  return undefined;
}

/** Below Linux's ephemeral ports (ip_local_port_range, 32768+), which any outgoing connection may take. */
const SCRATCH_PORTS = { low: 20_000, high: 32_000 };

/**
 * A base port with `count` consecutive free loopback ports, for throwaway labs (tests, benchmarks);
 * random, to dodge other labs being set up at the same time.
 */
export async function findFreePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = SCRATCH_PORTS.low + Math.floor(Math.random() * (SCRATCH_PORTS.high - SCRATCH_PORTS.low - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(isPortFree))).every(Boolean)) return base;
  }
  throw new Error(`no ${count} consecutive free loopback ports found`);
}
