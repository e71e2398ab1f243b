import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.CITUS_LAB_TEST_TEMPORAL_PID);
  if (pid) await stop(pid);
  const dir = process.env.CITUS_LAB_TEST_TEMPORAL_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** SIGTERM, then SIGKILL if the server is still there after a few seconds: no orphan servers after a run. */
async function stop(pid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(pid, 'SIGKILL');
}
