/**
 * `api token --user <name>`: prints a fresh 15-minute access token for one of the lab's API accounts
 * (nothing else on stdout, so `TOKEN=$(citus-lab api token --user admin)` works). It reads the signing
 * key from the lab's secrets directory, so only who can read that directory can mint tokens.
 */
import { Option, type Command } from 'commander';
import { readLabSpec } from './labSpecInput.js';
import { addLabOptions } from './options.js';
import type { ProgramResult } from './program.js';
import type { CliIO } from './runLabWorkflow.js';

/** The `api` command group, created by whichever of its subcommands is added first. */
export function apiCommandGroup(program: Command): Command {
  return program.commands.find((c) => c.name() === 'api') ?? program.command('api').description("the lab's FHIR R4 API");
}

export function addApiTokenCommand(program: Command, io: CliIO, result: ProgramResult): void {
  const cmd = addLabOptions(apiCommandGroup(program).command('token').description('print a fresh access token (15 min) for an API account'))
    .addOption(new Option('--user <name>', 'account name: admin, practitioner, patient, auditor or one an admin created').makeOptionMandatory())
    .allowExcessArguments(false);
  cmd.configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  cmd.exitOverride().action(async (opts: { user: string }, command: Command) => {
    const spec = readLabSpec(command);
    const { tokenForUser } = await import('../api/auth/tokenForUser.js');
    io.stdout.write(`${await tokenForUser(spec, opts.user)}\n`);
    result.exitCode = 0;
  });
}
