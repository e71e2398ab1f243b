import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cachedWorkflowBundle, sourcesDigest } from '../../src/temporal/workflowBundleCache.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-bundles-'));
  process.env.CITUS_LAB_CACHE_DIR = dir;
});
afterAll(() => {
  delete process.env.CITUS_LAB_CACHE_DIR;
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the lab workflows are bundled once per version of the sources and reused after', async () => {
  const first = await cachedWorkflowBundle();
  expect(path.dirname(first.codePath)).toBe(dir);
  expect(path.basename(first.codePath)).toBe(`workflows-${sourcesDigest()}.js`);
  expect(fs.readFileSync(first.codePath, 'utf8')).toContain('deployLab');
  const builtAt = fs.statSync(first.codePath).mtimeMs;

  const second = await cachedWorkflowBundle();
  expect(second.codePath).toBe(first.codePath);
  expect(fs.statSync(second.codePath).mtimeMs).toBe(builtAt);
  expect(fs.readdirSync(dir)).toEqual([path.basename(first.codePath)]);
}, 120_000);
