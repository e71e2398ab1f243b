/**
 * pg_basebackup and pg_rewind for one member, run as the server OS user (promotion is SQL, in
 * LocalHa.promote). Connections authenticate through the server user's pgpass (PGPASSFILE): no
 * password on any command line.
 */
import path from 'node:path';
import { execa } from 'execa';
import { LabError } from '../../../errors.js';
import type { NodeProcessContext } from '../pgCtl.js';
import { SUPERUSER } from '../secrets.js';
import { spawnAs } from '../serverUser.js';

const TAIL_LINES = 10;

async function runAs(ctx: NodeProcessContext, program: string, args: string[], pgpassFile: string) {
  const as = spawnAs(ctx.user);
  return execa(path.join(ctx.bins.binDir, program), args, {
    ...as,
    env: { ...as.env, PGPASSFILE: pgpassFile },
    cwd: ctx.cwd,
    stdin: 'ignore',
    reject: false,
    all: true,
  });
}

function tail(text: string | undefined): string {
  return (text ?? '').trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
}

/** A fresh copy of the primary in an empty `pgdata`, streaming its WAL through `slot` meanwhile. */
export async function baseBackup(
  ctx: NodeProcessContext,
  opts: { pgdata: string; primaryPort: number; slot: string; pgpassFile: string; member: string },
): Promise<void> {
  const result = await runAs(
    ctx,
    'pg_basebackup',
    [
      '-D', opts.pgdata,
      '-h', '127.0.0.1',
      '-p', String(opts.primaryPort),
      '-U', SUPERUSER,
      '-X', 'stream',
      '-S', opts.slot,
      '-c', 'fast',
      '--no-sync',
      '--no-password',
    ],
    opts.pgpassFile,
  );
  if (result.exitCode !== 0) {
    throw new LabError('CommandFailed', `pg_basebackup of ${opts.member} from port ${opts.primaryPort} failed:\n${tail(result.all)}`);
  }
}

/**
 * Rewinds a former primary onto the new primary's timeline. Returns false (not an error) when
 * pg_rewind cannot do it, so the caller falls back to a fresh base backup.
 */
export async function rewind(
  ctx: NodeProcessContext,
  opts: { pgdata: string; sourcePort: number; pgpassFile: string },
): Promise<{ ok: boolean; output: string }> {
  const source = `host=127.0.0.1 port=${opts.sourcePort} user=${SUPERUSER} dbname=postgres sslmode=disable`;
  const result = await runAs(ctx, 'pg_rewind', ['-D', opts.pgdata, `--source-server=${source}`, '--no-sync'], opts.pgpassFile);
  return { ok: result.exitCode === 0, output: tail(result.all) };
}
