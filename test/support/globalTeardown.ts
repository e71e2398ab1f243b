import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.CITUS_LAB_TEST_TEMPORAL_PID);
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const dir = process.env.CITUS_LAB_TEST_TEMPORAL_DIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
