/**
 * SIGINT and SIGTERM in the CLI process. The first one aborts the returned signal (its reason is the
 * signal's name): the CLI stops following, shuts its worker down within a bound and exits 130 / 143
 * saying the run goes on in Temporal. A second signal, or the backstop timer when something still holds
 * the process (an activity that ignores cancellation, a native handle), ends it at once.
 */
import { EXIT_INTERRUPTED, EXIT_TERMINATED } from './errors.js';

/** The CLI is gone this long after the first signal, whatever holds it (the issue asks for 10 s). */
export const SIGNAL_BACKSTOP_MS = 9_000;

type HandledSignal = 'SIGINT' | 'SIGTERM';

function exitCodeOf(signal: HandledSignal): number {
  return signal === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

export function installSignalHandlers(stderr: { write(text: string): unknown }, backstopMs = SIGNAL_BACKSTOP_MS): AbortSignal {
  const interrupt = new AbortController();
  const onSignal = (signal: HandledSignal) => {
    if (interrupt.signal.aborted) process.exit(exitCodeOf(signal));
    interrupt.abort(signal);
    // unref: a CLI that finished its shutdown in time exits on its own, without waiting for this.
    setTimeout(() => {
      stderr.write(
        `citus-lab: ${signal}: stopped without waiting any longer for this process' worker; the run goes on in Temporal: run the same command again to attach.\n`,
      );
      process.exit(exitCodeOf(signal));
    }, backstopMs).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  return interrupt.signal;
}
