/**
 * Runs one command line to an exit code. Every error ends here and is printed once: one sentence on
 * stderr (and, with --json, `{ "error": ... }` as the last line of stdout); stacks only with CITUS_LAB_DEBUG=1.
 */
import { CommanderError } from 'commander';
import { EXIT_OK, EXIT_USAGE, debugEnabled, describeError, formatErrorLine } from './errors.js';
import { buildProgram, type ProgramResult } from './program.js';
import { writeJson, type CliIO, type RunDeps } from './runLabWorkflow.js';

export async function main(args: string[], io: CliIO, deps: RunDeps = {}): Promise<number> {
  const result: ProgramResult = { exitCode: EXIT_OK };
  try {
    await buildProgram(io, result, deps).parseAsync(args, { from: 'user' });
    return result.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help text).
      if (err.exitCode === 0) return EXIT_OK;
      if (args.includes('--json')) writeJson(io, { error: { type: 'UsageError', message: err.message.replace(/^error: /, '') } });
      return EXIT_USAGE;
    }
    const described = describeError(err);
    io.stderr.write(`${formatErrorLine(described)}\n`);
    if (debugEnabled(io.env) && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    if (args.includes('--json')) writeJson(io, { error: { type: described.type, message: described.message } });
    return described.exitCode;
  }
}
