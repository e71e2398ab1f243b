/**
 * The replication settings of one group member, in their own file (`citus-lab-replication.conf`,
 * included from citus-lab.conf) so a failover rewrites them without touching anything else. The
 * standby's walreceiver authenticates through the server user's pgpass (`passfile=`): the password
 * never appears in a configuration file or on a command line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SUPERUSER } from '../secrets.js';
import { giveToServer, type ServerUser } from '../serverUser.js';
import { slotName } from './groupTopology.js';

export const REPLICATION_CONF = 'citus-lab-replication.conf';
export const STANDBY_SIGNAL = 'standby.signal';

export interface ReplicationSettings {
  /** This member: its application_name and its slot on the primary. */
  readonly member: string;
  /** Where it streams from while it is a standby. */
  readonly primaryPort: number;
  readonly passfile: string;
  /** Every member of the group: with sync on, a commit on the primary waits for any one of them. */
  readonly groupMembers: readonly string[];
  readonly sync: boolean;
}

export function replicationConf(s: ReplicationSettings): string {
  const conninfo = `host=127.0.0.1 port=${s.primaryPort} user=${SUPERUSER} passfile=${s.passfile} application_name=${s.member} sslmode=disable`;
  // The member's own name in the list is harmless: a server is never its own standby.
  const syncNames = s.sync ? `ANY 1 (${s.groupMembers.map((m) => `"${m}"`).join(', ')})` : '';
  const lines = [
    '# Written by citus-lab (standbys, failover); rewritten on every change of primary.',
    `primary_conninfo = '${conninfo}'`,
    `primary_slot_name = '${slotName(s.member)}'`,
    `synchronous_standby_names = '${syncNames}'`,
    'hot_standby = on',
    // Feedback keeps the primary from vacuuming rows a standby query still reads.
    'hot_standby_feedback = on',
    // A promoted standby must come up at once; the replay of what it already received is all it waits for.
    "recovery_target_timeline = 'latest'",
  ];
  return `${lines.join('\n')}\n`;
}

function writeOwned(user: ServerUser, file: string, content: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, content, { mode: 0o600 });
  giveToServer(user, tmp);
  fs.renameSync(tmp, file);
}

export function writeReplicationConf(pgdata: string, user: ServerUser, settings: ReplicationSettings): void {
  writeOwned(user, path.join(pgdata, REPLICATION_CONF), replicationConf(settings));
}

/** A data directory with standby.signal starts in recovery: read-only, whatever it was before. */
export function writeStandbySignal(pgdata: string, user: ServerUser): void {
  const file = path.join(pgdata, STANDBY_SIGNAL);
  if (!fs.existsSync(file)) writeOwned(user, file, '');
}

export function hasStandbySignal(pgdata: string): boolean {
  return fs.existsSync(path.join(pgdata, STANDBY_SIGNAL));
}
