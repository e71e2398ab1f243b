/**
 * The configuration a lab node runs with. Kept in its own file (`citus-lab.conf`, included from
 * postgresql.conf) so it can be rewritten whole without touching what initdb generated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { giveToServer, type ServerUser } from './serverUser.js';
import { REPLICATION_CONF } from './standbys/replicationConf.js';

export const LAB_CONF = 'citus-lab.conf';
const INCLUDE_LINE = `include_if_exists '${LAB_CONF}'`;

export interface NodeConfigOptions {
  readonly port: number;
  readonly preloadCitus: boolean;
  /** The lab has standbys: hint bits in WAL (so pg_rewind can turn an old primary into a standby) and the replication file. */
  readonly replication?: boolean;
}

export function serverConf({ port, preloadCitus, replication }: NodeConfigOptions): string {
  const settings: Array<[string, string | number]> = [
    ['port', port],
    ['listen_addresses', `'127.0.0.1'`],
    // Unix socket paths are limited to 107 bytes and mkdtemp/data dirs can be longer: everything uses TCP.
    ['unix_socket_directories', `''`],
    ...(preloadCitus
      ? ([
          ['shared_preload_libraries', `'citus'`],
          // Citus connects back to its own node for some work (background rebalance jobs do) by the name
          // `localhost`, which may resolve to ::1 (not in pg_hba) and has no pgpass line: use the address
          // the lab listens on and has credentials for.
          ['citus.local_hostname', `'127.0.0.1'`],
        ] as Array<[string, string]>)
      : []),
    // Citus moves shards online with logical replication.
    ['wal_level', 'logical'],
    ['password_encryption', `'scram-sha-256'`],
    // Citus fans queries out over many connections between nodes.
    ['max_connections', 200],
    ['max_wal_senders', 10],
    ['max_replication_slots', 10],
    // Every online shard move creates a subscription on the target node, and PostgreSQL 15's logical
    // replication launcher starts apply workers at most once per wal_retrieve_retry_interval (5 s) for
    // the whole server (16 tracks it per subscription). Back-to-back moves queued behind that timer:
    // a 16-move drain took ~95 s, ~20 s at 100 ms. It also paces a failed apply worker's restart, which
    // on a loopback lab needs no 5 s back-off.
    ['wal_retrieve_retry_interval', `'100ms'`],
    // Parallel moves (RebalanceAndDrain runs up to 4) need an apply worker each on the target, and on
    // the coordinator a background executor each next to Citus' maintenance daemons: the defaults (8
    // worker processes, 4 apply workers) leave no headroom.
    ['max_worker_processes', 16],
    ['max_logical_replication_workers', 8],
  ];
  if (replication) settings.push(['wal_log_hints', 'on']);
  // Citus requires SSL between nodes by default and, finding it off, turns it on with a self-signed
  // certificate through ALTER SYSTEM: postgresql.auto.conf and the key are not WAL, so a standby
  // copied before that would be promoted without SSL and refuse the coordinator. Loopback labs
  // gain nothing from SSL; `prefer` keeps every member of a group alike.
  if (replication && preloadCitus) settings.push(['citus.node_conninfo', `'sslmode=prefer'`]);
  const lines = settings.map(([key, value]) => `${key} = ${value}`);
  // Last, so primary_conninfo and synchronous_standby_names come from the file failovers rewrite.
  if (replication) lines.push(`include_if_exists '${REPLICATION_CONF}'`);
  return `# Written by citus-lab; rewritten on every provision.\n${lines.join('\n')}\n`;
}

/** Password (scram) on every TCP connection, replication included; no trust, no other hosts. */
export function hbaConf(): string {
  return [
    '# Written by citus-lab; rewritten on every provision.',
    '# TYPE  DATABASE     USER  ADDRESS       METHOD',
    'host    all          all   127.0.0.1/32  scram-sha-256',
    'host    replication  all   127.0.0.1/32  scram-sha-256',
    '',
  ].join('\n');
}

function writeOwned(user: ServerUser, file: string, content: string): void {
  fs.writeFileSync(file, content, { mode: 0o600 });
  giveToServer(user, file);
}

/** Writes the lab's settings into an initialised PGDATA; takes effect at the next (re)start. */
export function writeNodeConfig(pgdata: string, user: ServerUser, options: NodeConfigOptions): void {
  writeOwned(user, path.join(pgdata, LAB_CONF), serverConf(options));
  writeOwned(user, path.join(pgdata, 'pg_hba.conf'), hbaConf());
  const mainConf = path.join(pgdata, 'postgresql.conf');
  const text = fs.readFileSync(mainConf, 'utf8');
  if (!text.split('\n').includes(INCLUDE_LINE)) {
    // Appended last so our values win over initdb's defaults.
    fs.appendFileSync(mainConf, `\n${INCLUDE_LINE}\n`);
  }
}
