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

/** 12 hex digits over the files' repository paths and contents: the tag changes when an input does. */
function inputsHash(inputs: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of inputs) {
    hash.update(path.relative(REPO_ROOT, file));
    hash.update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 12);
}

export function labImageTag(): string {
  return `${IMAGE_REPOSITORY}:${CITUS_VERSION}-${inputsHash(imageInputs())}`;
}

/** A directory laid out like the repository but holding only the image's inputs (what the tag hashes). */
export function stageBuildContext(inputs: readonly string[] = imageInputs()): string {
  const context = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-image-context-'));
  for (const file of inputs) {
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

/** What an image is built from: its Dockerfile and every file it bakes in (all inside the staged context). */
export interface ImageBuild {
  dockerfile: string;
  inputs(): string[];
}

export const LAB_IMAGE_BUILD: ImageBuild = { dockerfile: path.join(IMAGE_DIR, 'Dockerfile'), inputs: imageInputs };

export const API_IMAGE_DIR = path.join(REPO_ROOT, 'infra', 'api');
export const API_IMAGE_REPOSITORY = 'citus-lab/api';

/** The API image bakes in the TypeScript sources and the lockfile: its tag hashes all of them. */
export function apiImageInputs(): string[] {
  const walk = (dir: string): string[] =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  return [
    path.join(API_IMAGE_DIR, 'Dockerfile'),
    ...['package.json', 'package-lock.json', 'tsconfig.json'].map((f) => path.join(REPO_ROOT, f)),
    ...walk(path.join(REPO_ROOT, 'sql')),
    ...walk(path.join(REPO_ROOT, 'src')),
  ];
}

export const API_IMAGE_BUILD: ImageBuild = { dockerfile: path.join(API_IMAGE_DIR, 'Dockerfile'), inputs: apiImageInputs };

export function apiImageTag(): string {
  return `${API_IMAGE_REPOSITORY}:${inputsHash(apiImageInputs())}`;
}

export async function ensureImageInMinikube(
  minikube: MinikubeCli,
  image: string,
  progress?: ProgressReporter,
  build: ImageBuild = LAB_IMAGE_BUILD,
): Promise<'present' | 'loaded'> {
  if ((await minikube.imageList()).some((listed) => sameImage(listed, image))) return 'present';
  progress?.(`docker build ${image}`);
  const context = stageBuildContext(build.inputs());
  try {
    await runToolChecked(
      {
        tool: 'docker',
        args: ['build', '--tag', image, '--file', path.join(context, path.relative(REPO_ROOT, build.dockerfile)), context],
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
        : `Fix ${command.includes('infra/api/') ? 'infra/api/' : 'infra/postgres-citus/'} (or the Docker set-up), then deploy again.`),
    { nonRetryable: !TRANSIENT_BUILD.test(tail), details: { command, exitCode: result.exitCode } },
  );
}
