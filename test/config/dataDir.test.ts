/**
 * The data dir checks and the step-by-step mkdir, on the real file system. The /proc cases are the
 * ones that used to hang (Node 20's recursive mkdir loops forever there); each must answer at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertUsableDataDir, ensureDir, pseudoFileSystemOf } from '../../src/config/dataDir.js';
import { LabError } from '../../src/errors.js';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-datadir-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function refusal(fn: () => unknown): LabError {
  try {
    fn();
  } catch (err) {
    if (err instanceof LabError) return err;
    throw err;
  }
  throw new Error('expected a LabError');
}

test.each(['/proc/nope', '/proc/nope/deeper/still', '/sys/kernel/nope'])('ensureDir(%s) is refused at once, and nothing is created', (dir) => {
  const started = Date.now();
  const err = refusal(() => ensureDir(dir));
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(err.type).toBe('DataDirUnusable');
  expect(err.message).toMatch(/is on \/(proc|sys), a kernel pseudo file system that cannot hold files; choose another --data-dir\.$/);
  expect(fs.existsSync(dir)).toBe(false);
});

test('/proc itself exists, and is still no data dir', () => {
  expect(refusal(() => assertUsableDataDir('/proc')).message).toBe(
    'The data dir /proc cannot be used: it is on /proc, a kernel pseudo file system that cannot hold files; choose another --data-dir.',
  );
});

test('pseudo file systems are also recognised by type, wherever they are mounted', () => {
  // /dev/fd is a symlink into /proc: no path prefix says so, statfs does.
  expect(pseudoFileSystemOf('/dev/fd')).toBe('a proc file system');
  expect(refusal(() => ensureDir('/dev/fd/nope')).message).toContain('/dev/fd is on a proc file system');
  expect(pseudoFileSystemOf('/proc')).toBe('/proc');
  expect(pseudoFileSystemOf(root)).toBeUndefined();
});

test('a regular file, or a path below one, is not a directory', () => {
  const file = path.join(root, 'a-file');
  fs.writeFileSync(file, '');
  for (const dir of [file, path.join(file, 'labs', 'x')]) {
    const err = refusal(() => assertUsableDataDir(dir));
    expect(err.type).toBe('DataDirUnusable');
    expect(err.message).toBe(`The data dir ${dir} cannot be used: ${file} is not a directory; choose another --data-dir.`);
  }
});

(process.getuid?.() === 0 ? test.skip : test)('as a normal user, a read-only parent is refused', () => {
  const parent = path.join(root, 'read-only');
  fs.mkdirSync(parent, { mode: 0o555 });
  const err = refusal(() => ensureDir(path.join(parent, 'labs')));
  expect(err.message).toContain(`${parent} is not writable by this user`);
});

test('ensureDir creates the missing levels one by one and returns the first it made', () => {
  const target = path.join(root, 'a', 'b', 'c');
  expect(ensureDir(target, 0o755)).toBe(path.join(root, 'a'));
  expect(fs.statSync(target).isDirectory()).toBe(true);
  expect(ensureDir(target)).toBeUndefined();
  assertUsableDataDir(target);
  assertUsableDataDir(path.join(target, 'not', 'yet'));
});
