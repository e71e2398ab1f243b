/**
 * The configuration a lab node runs with. Kept in its own file (`citus-lab.conf`, included from
 * postgresql.conf) so it can be rewritten whole without touching what initdb generated.
 */
import fs from 'node:fs';
import path from 'node:path';
import { giveToServer, type ServerUser } from './serverUser.js';

export const LAB_CONF = 'citus-lab.conf';
const INCLUDE_LINE = `include_if_exists '${LAB_CONF}'`;

export interface NodeConfigOptions {
  readonly port: number;
  readonly preloadCitus: boolean;
}

export function serverConf({ port, preloadCitus }: NodeConfigOptions): string {
  const settings: Array<[string, string | number]> = [
    ['port', port],
    ['listen_addresses', `'127.0.0.1'`],
    // Unix socket paths are limited to 107 bytes and mkdtemp/data dirs can be longer: everything uses TCP.
    ['unix_socket_directories', `''`],
    ...(preloadCitus ? ([['shared_preload_libraries', `'citus'`]] as Array<[string, string]>) : []),
    // Citus moves shards online with logical replication.
    ['wal_level', 'logical'],
    ['password_encryption', `'scram-sha-256'`],
    // Citus fans queries out over many connections between nodes.
    ['max_connections', 200],
    ['max_wal_senders', 10],
    ['max_replication_slots', 10],
  ];
  const lines = settings.map(([key, value]) => `${key} = ${value}`);
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
