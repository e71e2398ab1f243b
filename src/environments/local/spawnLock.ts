/**
 * One process at a time in a critical section, across processes: an O_EXCL lock file holding the
 * holder's pid. A lock whose holder died is taken over, so a crash never wedges the lab.
 */
import fs from 'node:fs';
import { LabError } from '../../errors.js';

export async function withSpawnLock<T>(lock: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx', mode: 0o644 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = holder(lock);
      // An empty lock may be one whose holder has not written its pid yet: only an old one is abandoned.
      const abandoned = owner === undefined ? ageMs(lock) > FRESH_MS : !alive(owner);
      if (abandoned) fs.rmSync(lock, { force: true }); // its holder died
      else if (Date.now() > deadline) throw new LabError('CommandFailed', `Process ${owner} has held ${lock} for too long; remove it if that process is gone.`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

const FRESH_MS = 2_000;

function ageMs(lock: string): number {
  try {
    return Date.now() - fs.statSync(lock).mtimeMs;
  } catch {
    return Infinity; // gone already: nothing to wait for
  }
}

function holder(lock: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(lock, 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined; // released between our attempt and this read
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
