/**
 * The pid file of the lab's embedded dev server: how a later CLI run (or a test's cleanup) knows
 * which process is ours, and that a silent address may only be a server still starting up.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const recordSchema = z.object({
  pid: z.number().int().positive(),
  address: z.string(),
  uiPort: z.number().int().optional(),
  dbFile: z.string(),
  startedAt: z.string(),
});

export type DevServerRecord = z.infer<typeof recordSchema>;

export function writeDevServerRecord(pidFile: string, record: DevServerRecord): void {
  fs.mkdirSync(path.dirname(pidFile), { recursive: true });
  const tmp = `${pidFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(record)}\n`);
  fs.renameSync(tmp, pidFile);
}

/** The record, or undefined when there is none or it is unreadable (treated as "not ours"). */
export function readDevServerRecord(pidFile: string): DevServerRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(pidFile, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = recordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded server, if its process still lives and still is a Temporal server (pids get reused). */
export function liveDevServer(pidFile: string): DevServerRecord | undefined {
  const record = readDevServerRecord(pidFile);
  if (!record || !processAlive(record.pid)) return undefined;
  const cmdline = readCmdline(record.pid);
  if (cmdline !== undefined && !cmdline.includes('start-dev')) return undefined;
  return record;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive but someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux only; elsewhere undefined and the pid alone has to do. */
function readCmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}
