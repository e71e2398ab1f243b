/**
 * Tests that run the lab in real containers run only where scripts/container-test-tools.sh made them
 * possible (a Docker engine, the compose plugin, and the stand-in image, which needs Citus on the host);
 * elsewhere they say why in one line instead of failing. That script writes its outcome to
 * ~/.cache/citus-lab/containers/tests.env; the engine and image are checked again here, since a test file
 * may run long after it (or by hand, with `npx jest <file>`).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { citusAvailability } from './citus.js';

export interface ContainerAvailability {
  /** The stand-in for citusdata/citus:12.1 the compose tests run, when everything is there. */
  readonly image?: string;
  /** Why not, otherwise. */
  readonly reason: string;
}

const SETUP_HINT = 'run `bash scripts/container-test-tools.sh up` (npm test does)';

function resultFile(): string {
  const cache = process.env.CITUS_LAB_CONTAINERS_CACHE ?? path.join(os.homedir(), '.cache', 'citus-lab', 'containers');
  return path.join(cache, 'tests.env');
}

/** KEY=VALUE lines, as the set-up script writes them. */
function readSetupResult(): Record<string, string> {
  const file = resultFile();
  if (!fs.existsSync(file)) return {};
  const entries = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => /^([A-Z_]+)=(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1] as string, m[2] as string]);
  return Object.fromEntries(entries);
}

function docker(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

function detect(): ContainerAvailability {
  if (process.env.CITUS_LAB_SKIP_CONTAINERS) return { reason: 'CITUS_LAB_SKIP_CONTAINERS is set' };
  // The image carries the host's Citus; without it (or with CITUS_LAB_TEST_NO_CITUS) there is nothing to test.
  const citus = citusAvailability();
  if (!citus.installed) return { reason: `Citus is not installed (${citus.reason})` };
  const setup = readSetupResult();
  if (setup.CITUS_LAB_TEST_CONTAINERS_SKIP) return { reason: setup.CITUS_LAB_TEST_CONTAINERS_SKIP };
  const image = process.env.CITUS_LAB_TEST_COMPOSE_IMAGE ?? setup.CITUS_LAB_TEST_COMPOSE_IMAGE;
  if (!image) return { reason: `the container set-up has not run (no ${resultFile()}): ${SETUP_HINT}` };
  if (!docker(['version', '--format', '{{.Server.Version}}']).ok) return { reason: `no Docker engine answers: ${SETUP_HINT}` };
  if (!docker(['compose', 'version']).ok) return { reason: `no docker compose plugin: ${SETUP_HINT}` };
  if (!docker(['image', 'inspect', image]).ok) return { reason: `the image ${image} is missing: ${SETUP_HINT}` };
  return { image, reason: '' };
}

let cached: ContainerAvailability | undefined;

export function containerAvailability(): ContainerAvailability {
  cached ??= detect();
  return cached;
}

/** `describe` (given the stand-in image) where containers run; otherwise one `SKIP` line and `describe.skip`. */
export function describeIfContainers(name: string, fn: (image: () => string) => void): void {
  const { image, reason } = containerAvailability();
  const imageOf = () => image as string;
  if (image) {
    describe(name, () => fn(imageOf));
    return;
  }
  process.stderr.write(`SKIP ${name}: containers cannot run here (${reason})\n`);
  describe.skip(name, () => fn(imageOf));
}

/** Runs docker and returns its stdout; throws with its output on failure (for test set-up and checks). */
export function dockerOut(args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}
