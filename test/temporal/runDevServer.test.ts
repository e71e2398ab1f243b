/** `npm run temporal:dev`: the dev server in the foreground with the embedded settings, until Ctrl-C. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, portAnswers, temporalAnswers } from '../../src/temporal/devServer.js';
import { embeddedServerFiles } from '../../src/temporal/embedded.js';
import { runCli, startProcess } from '../cli/runCli.js';

const script = fileURLToPath(new URL('../../src/temporal/runDevServer.ts', import.meta.url));
let dataDir: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-devserver-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

test('runs the server with the UI and the lab history file until Ctrl-C', async () => {
  const [port, uiPort] = [await freePort(), await freePort()];
  const server = startProcess(script, [], { CITUS_LAB_TEMPORAL_PORT: String(port), CITUS_LAB_UI_PORT: String(uiPort), CITUS_LAB_DATA_DIR: dataDir });
  try {
    const dbFile = embeddedServerFiles(dataDir).dbFile;
    await server.waitForStderr(new RegExp(`Temporal dev server at 127\\.0\\.0\\.1:${port}, UI http://127\\.0\\.0\\.1:${uiPort}, history in ${dbFile}; Ctrl-C stops it\\.`));
    const deadline = Date.now() + 90_000;
    while (!(await temporalAnswers(`127.0.0.1:${port}`))) {
      if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`server did not answer:\n${server.stderr()}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await portAnswers('127.0.0.1', uiPort)).toBe(true);
    expect(fs.existsSync(dbFile)).toBe(true);
    process.kill(-(server.child.pid ?? 0), 'SIGINT');
    await expect(server.exited).resolves.toBe(0);
    expect(await portAnswers('127.0.0.1', port)).toBe(false);
  } finally {
    if (server.child.exitCode === null) process.kill(-(server.child.pid ?? 0), 'SIGKILL');
  }
});

test('refuses to start a second server where one already answers', async () => {
  const port = (process.env.TEMPORAL_ADDRESS ?? '').split(':')[1] ?? '';
  const run = await runCli([], { CITUS_LAB_TEMPORAL_PORT: port, CITUS_LAB_DATA_DIR: dataDir }, ['--import', 'tsx', script]);
  expect(run.code).toBe(1);
  expect(run.stderr.trim()).toBe(`citus-lab: A Temporal server already answers at 127.0.0.1:${port}: use it as it is, or stop it first.`);
});
