/**
 * The HA drill's fault on Docker: a real crash of a container's main process. `docker kill` (and
 * `docker compose kill`) count as a manual stop, so `restart: unless-stopped` would never bring the node
 * back; SIGKILL of the main process from the host is a crash, and Docker's restart policy restarts it.
 */
import fs from 'node:fs';
import { LabError } from '../../errors.js';
import { runToolChecked } from '../platformTool.js';
import { DOCKER_INSTALL_HINT } from './composeCli.js';

export interface ContainerMain {
  /** Host pid of the container's main process; 0 when it is not running. */
  readonly pid: number;
  readonly id: string;
}

export async function inspectContainerMain(container: string): Promise<ContainerMain> {
  const { stdout } = await runToolChecked({
    tool: 'docker',
    args: ['inspect', '--format', '{{.State.Pid}} {{.Id}}', container],
    installHint: DOCKER_INSTALL_HINT,
    timeoutMs: 60_000,
  });
  const [pid, id] = stdout.trim().split(/\s+/);
  if (!pid || !/^\d+$/.test(pid) || !id) {
    throw new LabError('CommandFailed', `docker inspect ${container} printed "${stdout.trim().slice(0, 200)}", not "<pid> <id>".`);
  }
  return { pid: Number(pid), id };
}

/**
 * SIGKILLs the container's main process. Refuses (instead of signalling some unrelated process) when that
 * pid is not the container's here, e.g. with Docker Desktop, whose engine runs in a VM.
 */
export async function crashContainer(container: string): Promise<void> {
  const main = await inspectContainerMain(container);
  if (main.pid === 0) return; // not running: the fault is in place
  if (!cgroupNames(main.pid, main.id)) {
    throw new LabError(
      'PlatformUnavailable',
      `Cannot crash container ${container}: its main process (pid ${main.pid}) is not visible from this host, so the Docker ` +
        'engine runs elsewhere (Docker Desktop runs it in a VM). Run the drill on the Docker host itself.',
      { nonRetryable: true, details: { container, pid: main.pid } },
    );
  }
  try {
    process.kill(main.pid, 'SIGKILL');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return; // it died on its own meanwhile
    throw new LabError(
      'PlatformUnavailable',
      `Cannot crash container ${container} (pid ${main.pid}): ${code === 'EPERM' ? 'this user may not signal it; run the drill as root' : String(err)}.`,
      { nonRetryable: true, cause: err, details: { container, pid: main.pid } },
    );
  }
}

/** The process is in the container's cgroup (its path names the container id, whatever the cgroup driver). */
function cgroupNames(pid: number, containerId: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(containerId);
  } catch {
    return false;
  }
}
