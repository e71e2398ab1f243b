/**
 * citus-lab command line: `npm run start-workflow -- <command> [options]` or `bin/citus-lab.js`.
 * Ctrl-C or SIGTERM stops following (the workflow keeps running on the server) and exits 130 / 143
 * within seconds; a second signal exits at once (src/cli/signals.ts).
 */
import { main } from './cli/main.js';
import { installSignalHandlers } from './cli/signals.js';

const signal = installSignalHandlers(process.stderr);

const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal,
});
// Native SDK handles can outlive a run by a moment; the run is over, so leave now.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
