/**
 * The image the lab's pods run: built from infra/postgres-citus/ (citusdata/citus:12.1 plus the lab's
 * init SQL) and loaded into minikube. Its tag carries a hash of the files it is built from, so a deploy
 * skips the build when minikube already has this exact image and rebuilds when a file changed.
 *
 * The build uses Docker's classic builder (DOCKER_BUILDKIT=0): Debian's docker.io has no BuildKit
 * (buildx), and the classic builder works everywhere. It ignores `Dockerfile.dockerignore`, so the
 * build context is a temporary directory holding only the image's inputs, not the repository root.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError } from '../../errors.js';
import type { ProgressReporter } from '../labEnvironment.js';
import { outputTail, runToolChecked, type ToolResult } from '../platformTool.js';
import type { MinikubeCli } from './minikubeCli.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const IMAGE_DIR = path.join(REPO_ROOT, 'infra', 'postgres-citus');
export const IMAGE_REPOSITORY = 'citus-lab/postgres-citus';
const CITUS_VERSION = '12.1';
export const DOCKER_INSTALL_HINT = 'install Docker (https://docs.docker.com/engine/install/)';
const BUILD_TIMEOUT_MS = 20 * 60_000;
/** Build failures worth retrying: the registry or the network, not the Dockerfile. */
const TRANSIENT_BUILD = /i\/o timeout|TLS handshake timeout|connection reset|no such host|toomanyrequests|temporary failure/i;

/** Files baked into the image, relative to the repository root (the build context). */
function imageInputs(): string[] {
  const initdb = path.join(IMAGE_DIR, 'initdb');
  return [
    path.join(IMAGE_DIR, 'Dockerfile'),
    ...fs.readdirSync(initdb).sort().map((f) => path.join(initdb, f)),
    path.join(REPO_ROOT, 'sql', 'schema.sql'),
  ];
}

export function labImageTag(): string {
  const hash = createHash('sha256');
  for (const file of imageInputs()) {
    hash.update(path.relative(REPO_ROOT, file));
    hash.update(fs.readFileSync(file));
  }
  return `${IMAGE_REPOSITORY}:${CITUS_VERSION}-${hash.digest('hex').slice(0, 12)}`;
}

/** A directory laid out like the repository but holding only the image's inputs (what the tag hashes). */
export function stageBuildContext(): string {
  const context = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-image-context-'));
  for (const file of imageInputs()) {
    const target = path.join(context, path.relative(REPO_ROOT, file));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(file, target);
    fs.chmodSync(target, fs.statSync(file).mode & 0o777);
  }
  return context;
}

/** `docker.io/` and `library/` are how minikube lists what `docker` calls by its short name. */
function sameImage(listed: string, image: string): boolean {
  const normal = (ref: string) => ref.replace(/^docker\.io\//, '').replace(/^library\//, '');
  return normal(listed) === normal(image);
}

export async function ensureImageInMinikube(minikube: MinikubeCli, image: string, progress?: ProgressReporter): Promise<'present' | 'loaded'> {
  if ((await minikube.imageList()).some((listed) => sameImage(listed, image))) return 'present';
  progress?.(`docker build ${image}`);
  const context = stageBuildContext();
  try {
    await runToolChecked(
      {
        tool: 'docker',
        args: ['build', '--tag', image, '--file', path.join(context, path.relative(REPO_ROOT, IMAGE_DIR), 'Dockerfile'), context],
        env: { DOCKER_BUILDKIT: '0' },
        installHint: DOCKER_INSTALL_HINT,
        timeoutMs: BUILD_TIMEOUT_MS,
        progress,
      },
      buildFailure,
    );
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
  progress?.(`minikube image load ${image}`);
  await minikube.imageLoad(image, progress);
  return 'loaded';
}

/** The docker client only: `docker version` would also demand a running engine. */
export async function dockerClientVersion(): Promise<string> {
  const result = await runToolChecked({ tool: 'docker', args: ['--version'], installHint: DOCKER_INSTALL_HINT, timeoutMs: 60_000 });
  return result.stdout.trim();
}

function buildFailure(result: ToolResult, command: string): LabError {
  const tail = outputTail(result);
  return new LabError(
    'ImageBuildFailed',
    `${command} failed (exit ${result.exitCode}): ${tail}\n` +
      (/Cannot connect to the Docker daemon/i.test(tail)
        ? 'Start Docker, then deploy again.'
        : 'Fix infra/postgres-citus/ (or the Docker set-up), then deploy again.'),
    { nonRetryable: !TRANSIENT_BUILD.test(tail), details: { command, exitCode: result.exitCode } },
  );
}
