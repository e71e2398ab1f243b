/**
 * `npm run temporal:dev`: the lab's Temporal dev server in the foreground (same address, UI port and
 * history file as the embedded default), until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { defaultDataDir } from '../config/labSpec.js';
import { LabError } from '../errors.js';
import { debugEnabled, describeError, formatErrorLine } from '../cli/errors.js';
import { devServerArgs, temporalAnswers } from './devServer.js';
import { liveDevServer } from './devServerPidFile.js';
import { DEFAULT_NAMESPACE, defaultTemporalAddress, embeddedServerFiles, embeddedUiPort } from './embedded.js';
import { findTemporalBinary } from './temporalBinary.js';

async function runDevServer(): Promise<number> {
  const address = defaultTemporalAddress();
  const uiPort = embeddedUiPort();
  const files = embeddedServerFiles(defaultDataDir());
  if (await temporalAnswers(address)) {
    const ours = liveDevServer(files.pidFile);
    throw new LabError(
      'TemporalUnreachable',
      ours
        ? `The lab's dev server already runs at ${address} (pid ${ours.pid}, started by the CLI): use it as it is, or stop it (kill ${ours.pid}) first.`
        : `A Temporal server already answers at ${address}: use it as it is, or stop it first.`,
    );
  }
  const binary = findTemporalBinary();
  const args = devServerArgs({ address, uiPort, dbFile: files.dbFile, namespace: process.env.TEMPORAL_NAMESPACE || DEFAULT_NAMESPACE });
  process.stderr.write(
    `Temporal dev server at ${address}, UI http://127.0.0.1:${uiPort}, history in ${files.dbFile}; Ctrl-C stops it.\n`,
  );
  const child = spawn(binary, args, { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal's process group; SIGTERM (e.g. from a supervisor) does not.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', forward('SIGTERM'));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : (code ?? 1)));
  });
}

try {
  process.exitCode = await runDevServer();
} catch (err) {
  const described = describeError(err);
  process.stderr.write(`${formatErrorLine(described)}\n`);
  if (debugEnabled() && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = described.exitCode;
}
