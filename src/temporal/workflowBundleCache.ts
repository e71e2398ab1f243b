/**
 * The lab's workflow code, bundled once per version of the sources instead of on every CLI start
 * (webpack takes about a second of every command otherwise). The key hashes every file under src/
 * and the lock file, so any change to code a workflow could import, or to the SDK, makes a new bundle.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LAB_WORKFLOWS = path.join(REPO, 'src', 'workflows', 'index.ts');

function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CITUS_LAB_CACHE_DIR) return path.resolve(env.CITUS_LAB_CACHE_DIR);
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'citus-lab', 'workflow-bundles');
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}

export function sourcesDigest(): string {
  const hash = createHash('sha256');
  const files = [...filesUnder(path.join(REPO, 'src')), path.join(REPO, 'package-lock.json')].sort();
  for (const file of files) hash.update(path.relative(REPO, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 24);
}

/** Path of a bundle of the lab's workflows for the current sources, building it when there is none. */
export async function cachedWorkflowBundle(): Promise<{ codePath: string }> {
  const dir = cacheDir();
  const codePath = path.join(dir, `workflows-${sourcesDigest()}.js`);
  if (!fs.existsSync(codePath)) {
    const { code } = await bundleWorkflowCode({ workflowsPath: LAB_WORKFLOWS, logger: new DefaultLogger('WARN') });
    fs.mkdirSync(dir, { recursive: true });
    // Written aside and renamed, so a concurrent CLI never reads half a bundle.
    const tmp = `${codePath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, codePath);
  }
  return { codePath };
}
