/**
 * citus-lab command line: `npm run start-workflow -- <command> [options]` or `bin/citus-lab.js`.
 * Ctrl-C stops following (the workflow keeps running on the server); a second Ctrl-C exits at once.
 */
import { main } from './cli/main.js';
import { EXIT_INTERRUPTED } from './cli/errors.js';

const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
  interrupt.abort();
});
process.on('SIGTERM', () => interrupt.abort());

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
});
// Native SDK handles can outlive a run by a moment; the run is over, so leave now.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
