/**
 * Where a lab may keep its state, and the one way directories under it are made.
 *
 * Why not `fs.mkdir(p, { recursive: true })`: on Node 20 it loops forever (and spins a CPU) under
 * `/proc`, where mkdir fails with ENOENT for a parent that `stat` says exists. So a user's path is
 * checked component by component first, pseudo file systems are refused, and directories are then
 * created one level at a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors.js';

/** statfs(2) magic numbers of kernel file systems that cannot hold a lab's files. */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
  [0x6165676c, 'pstore'],
  [0x62656570, 'configfs'],
  [0x65735543, 'fusectl'],
]);

/** Refused by path as well, in case statfs is unavailable (or a bind mount hides the type). */
const PSEUDO_ROOTS = ['/proc', '/sys'];

function unusable(dir: string, reason: string): LabError {
  return new LabError('DataDirUnusable', `The data dir ${dir} cannot be used: ${reason}; choose another --data-dir.`);
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a component on the way is a file; the step-by-step walk names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** `/proc`, or `a sysfs file system`: where a path lies when that is a kernel pseudo file system. */
export function pseudoFileSystemOf(dir: string): string | undefined {
  const root = PSEUDO_ROOTS.find((r) => dir === r || dir.startsWith(`${r}/`));
  if (root) return root;
  try {
    const name = PSEUDO_FS.get(Number(fs.statfsSync(dir).type));
    return name ? `a ${name} file system` : undefined;
  } catch {
    return undefined; // does not exist (yet): its deepest existing ancestor is checked instead
  }
}

const PSEUDO_REASON = 'a kernel pseudo file system that cannot hold files';

/**
 * Checks that `dir` (absolute) is, or could be created as, a directory that holds files: every
 * existing component is a directory, none lies on a pseudo file system, and the deepest existing one
 * is writable. Creates nothing. Throws a LabError of type DataDirUnusable saying which part is wrong.
 */
export function assertUsableDataDir(dir: string): void {
  const target = path.resolve(dir);
  const pseudo = pseudoFileSystemOf(target);
  if (pseudo) throw unusable(target, `it is on ${pseudo}, ${PSEUDO_REASON}`);
  let deepest = path.parse(target).root;
  for (const part of target.slice(deepest.length).split(path.sep).filter(Boolean)) {
    const next = path.join(deepest, part);
    let stat: fs.Stats | undefined;
    try {
      stat = statOrUndefined(next);
    } catch (err) {
      throw unusable(target, `${next} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    if (!stat) break;
    if (!stat.isDirectory()) throw unusable(target, `${next} is not a directory`);
    deepest = next;
  }
  const fsName = pseudoFileSystemOf(deepest);
  if (fsName) throw unusable(target, `${deepest} is on ${fsName}, ${PSEUDO_REASON}`);
  try {
    fs.accessSync(deepest, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw unusable(target, `${deepest} is not writable by this user`);
  }
}

/**
 * `mkdir -p` that cannot hang: checks the path (assertUsableDataDir), then creates the missing
 * components one at a time. Returns the first directory it created, like mkdirSync's recursive mode
 * (undefined when everything existed). New directories get `mode` (before the umask).
 */
export function ensureDir(dir: string, mode = 0o777): string | undefined {
  const target = path.resolve(dir);
  if (statOrUndefined(target)?.isDirectory()) return undefined;
  assertUsableDataDir(target);
  let first: string | undefined;
  let current = path.parse(target).root;
  for (const part of target.slice(current.length).split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    try {
      fs.mkdirSync(current, { mode });
      first ??= current;
    } catch (err) {
      // Made meanwhile by someone else (or there all along): fine as long as it is a directory.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(current).isDirectory()) throw err;
    }
  }
  return first;
}
