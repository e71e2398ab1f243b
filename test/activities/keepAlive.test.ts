/**
 * Every lab activity heartbeats while it runs (keepAlive.ts), repeating its own latest details, or on
 * a retry the previous attempt's checkpoint until it has sent one, so a bare beat never erases it.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { heartbeatIfActivity } from '../../src/activities/activityContext.js';
import { withKeepAlive } from '../../src/activities/keepAlive.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function beatsOf(env: MockActivityEnvironment): unknown[] {
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  return beats;
}

test('an activity that never heartbeats itself still beats every interval while it runs, and stops when it ends', async () => {
  const env = new MockActivityEnvironment();
  const beats = beatsOf(env);
  const { quiet } = withKeepAlive({ quiet: async () => sleep(260).then(() => 'done') }, 50);
  await expect(env.run(quiet)).resolves.toBe('done');
  const whileRunning = beats.length;
  // One at the start, then about one per 50 ms (timers under load may drop a few).
  expect(whileRunning).toBeGreaterThanOrEqual(3);
  await sleep(150);
  expect(beats).toHaveLength(whileRunning);
});

test('the beats repeat what the activity last heartbeated', async () => {
  const env = new MockActivityEnvironment();
  const beats = beatsOf(env);
  const { busy } = withKeepAlive(
    {
      busy: async () => {
        heartbeatIfActivity({ step: 1 });
        await sleep(200);
      },
    },
    50,
  );
  await env.run(busy);
  expect(beats[0]).toBeUndefined(); // the start beat, before the activity said anything
  expect(beats.slice(1)).toEqual(beats.slice(1).map(() => ({ step: 1 })));
  expect(beats.length).toBeGreaterThan(2);
});

test('on a retry the beats carry the previous attempt\'s checkpoint until the activity sends its own', async () => {
  const env = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: { checkpoint: 41 } });
  const beats = beatsOf(env);
  const { resumed } = withKeepAlive(
    {
      resumed: async () => {
        await sleep(120);
        heartbeatIfActivity({ checkpoint: 42 });
        await sleep(120);
      },
    },
    30,
  );
  await env.run(resumed);
  const first = beats.findIndex((b) => (b as { checkpoint: number }).checkpoint === 42);
  expect(first).toBeGreaterThan(1);
  expect(beats.slice(0, first).every((b) => (b as { checkpoint: number }).checkpoint === 41)).toBe(true);
  expect(beats.slice(first).every((b) => (b as { checkpoint: number }).checkpoint === 42)).toBe(true);
});

test('outside an activity it only runs the function', async () => {
  const { plain } = withKeepAlive({ plain: async (n: number) => n + 1 }, 10);
  await expect(plain(1)).resolves.toBe(2);
});

test('a failing activity stops beating and its error passes through', async () => {
  const env = new MockActivityEnvironment();
  const beats = beatsOf(env);
  const { broken } = withKeepAlive({ broken: async () => sleep(60).then(() => Promise.reject(new Error('boom'))) }, 20);
  await expect(env.run(broken)).rejects.toThrow('boom');
  const n = beats.length;
  await sleep(80);
  expect(beats).toHaveLength(n);
});
