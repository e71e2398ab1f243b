/**
 * `citus-lab api serve`: the lab's FHIR API in the foreground (deploy starts the same command as a
 * supervised process). It reaches the lab's coordinator through the lab's own credentials, or, with
 * `--pg-host`, any PostgreSQL (containers, the benchmark's plain PostgreSQL), its password from
 * PGPASSWORD only: a password on the command line would show in `ps`.
 */
import { Option, type Command } from 'commander';
import { apiPortOf } from '../config/labSpec.js';
import { UsageError } from './errors.js';
import { readLabSpec } from './labSpecInput.js';
import { addLabOptions, parseWholeNumber } from './options.js';
import type { ProgramResult } from './program.js';
import type { CliIO } from './runLabWorkflow.js';
import type { ApiServeRequest } from './apiServe.js';
import { addApiTokenCommand, apiCommandGroup } from './apiTokenCommand.js';

/** 0.0.0.0 only with authentication: a lab's API has it; `--pg-host` serves without it, so serveApi keeps that on loopback. */
export const API_HOSTS = ['127.0.0.1', '0.0.0.0'] as const;

export function addApiCommands(program: Command, io: CliIO, result: ProgramResult): void {
  const api = apiCommandGroup(program);
  const serve = addServeOptions(api.command('serve').description('serve the FHIR API of a lab in the foreground (Ctrl-C or SIGTERM stops it)'));
  serve.configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) }).exitOverride();
  api.exitOverride();
  serve.action(async (_opts, cmd: Command) => {
    const request = readApiServeRequest(cmd, io.env);
    const { serveUntilStopped } = await import('./apiServe.js');
    result.exitCode = await serveUntilStopped(request, io);
  });
  addApiTokenCommand(program, io, result);
}

/** The lab options plus where to listen and, optionally, which PostgreSQL to serve. */
export function addServeOptions(cmd: Command): Command {
  return addLabOptions(cmd)
    .addOption(new Option('--api-host <address>', 'address to listen on').choices(API_HOSTS).default('127.0.0.1').env('CITUS_LAB_API_HOST'))
    .addOption(
      new Option('--pg-host <host>', 'serve this PostgreSQL instead of the lab coordinator (password from PGPASSWORD)').env('CITUS_LAB_API_PG_HOST'),
    )
    .addOption(new Option('--pg-port <port>', 'port of --pg-host (default: 5432)').env('CITUS_LAB_API_PG_PORT'))
    .addOption(new Option('--pg-user <name>', 'user on --pg-host (default: postgres)').env('CITUS_LAB_API_PG_USER'))
    .allowExcessArguments(false);
}

interface ServeOptions {
  apiHost: (typeof API_HOSTS)[number];
  pgHost?: string;
  pgPort?: string;
  pgUser?: string;
}

/** Validated once, before anything listens or connects. */
export function readApiServeRequest(cmd: Command, env: NodeJS.ProcessEnv): ApiServeRequest {
  const spec = readLabSpec(cmd);
  const opts = cmd.opts<ServeOptions>();
  const request: ApiServeRequest = { spec, host: opts.apiHost, port: apiPortOf(spec) };
  if (opts.pgHost === undefined) {
    if (opts.pgPort !== undefined || opts.pgUser !== undefined) throw new UsageError('--pg-port and --pg-user need --pg-host.');
    return request;
  }
  const password = env.PGPASSWORD;
  if (!password) throw new UsageError('--pg-host needs the password in PGPASSWORD (never on the command line).');
  const port = opts.pgPort === undefined ? 5432 : parseWholeNumber(opts.pgPort, '--pg-port');
  if (port < 1 || port > 65535) throw new UsageError(`--pg-port must be between 1 and 65535, got ${port}.`);
  return {
    ...request,
    connection: { host: opts.pgHost, port, user: opts.pgUser ?? 'postgres', password, database: spec.database },
  };
}
