import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError } from '../errors.js';

/** Where `scripts/setup.sh` puts the Temporal CLI (outside the repository, reused across clones). */
export function temporalCandidates(): string[] {
  const candidates: string[] = [];
  if (process.env.TEMPORAL_CLI_PATH) candidates.push(process.env.TEMPORAL_CLI_PATH);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'temporal'));
  if (process.env.GOBIN) candidates.push(path.join(process.env.GOBIN, 'temporal'));
  if (process.env.GOPATH) candidates.push(path.join(process.env.GOPATH, 'bin', 'temporal'));
  candidates.push(path.join(os.homedir(), 'go', 'bin', 'temporal'));
  try {
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (gopath) candidates.push(path.join(gopath, 'bin', 'temporal'));
  } catch {
    // no Go toolchain: the other candidates are all we have
  }
  return candidates;
}

export function findTemporalBinary(): string {
  for (const candidate of temporalCandidates()) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new LabError(
    'ConfigInvalid',
    'The Temporal CLI is not installed: run `npm run setup` (it go-installs temporal v1.5.1) or set TEMPORAL_CLI_PATH.',
  );
}
