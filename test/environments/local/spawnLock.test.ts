/** The API's spawn lock: one holder at a time, and a lock left by a dead process is taken over. */
import fs from 'node:fs';
import path from 'node:path';
import { withSpawnLock } from '../../../src/environments/local/spawnLock.js';
import { makeTempDataDir } from '../../support/localLab.js';

let dir: string;
beforeEach(() => (dir = makeTempDataDir('citus-lab-lock-')));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('two callers never hold it at once; the lock is gone afterwards', async () => {
  const lock = path.join(dir, 'api.lock');
  let inside = 0;
  let most = 0;
  const section = () =>
    withSpawnLock(lock, 5_000, async () => {
      most = Math.max(most, ++inside);
      await new Promise((r) => setTimeout(r, 100));
      inside -= 1;
    });
  await Promise.all([section(), section(), section()]);
  expect(most).toBe(1);
  expect(fs.existsSync(lock)).toBe(false);
});

test('a lock whose holder is dead is taken over; a live holder past the timeout is a CommandFailed', async () => {
  const lock = path.join(dir, 'api.lock');
  fs.writeFileSync(lock, '999999999'); // no such process
  expect(await withSpawnLock(lock, 1_000, async () => 'ran')).toBe('ran');
  fs.writeFileSync(lock, String(process.pid)); // alive: us
  await expect(withSpawnLock(lock, 200, async () => 'ran')).rejects.toMatchObject({ type: 'CommandFailed' });
});
