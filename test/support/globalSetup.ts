/**
 * One real Temporal dev server for the whole test run, started from the CLI that `npm run setup`
 * installs. Tests reach it through TEMPORAL_ADDRESS (jest workers inherit this process' env).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import type * as DevServer from '../../src/temporal/devServer.js';

// jest loads global setup outside its module mapper, so the TypeScript sources come in through tsx.
type DevServerModule = typeof DevServer;

export default async function globalSetup(): Promise<void> {
  const { freePort, startDevServer }: DevServerModule = await tsImport('../../src/temporal/devServer.ts', import.meta.url);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-temporal-'));
  const port = await freePort();
  const server = await startDevServer({
    address: `127.0.0.1:${port}`,
    logFile: path.join(dir, 'server.log'),
    headless: true,
    // Two busy cores: give the server more than the SDK's own 5 s.
    startTimeoutMs: 90_000,
  });
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.CITUS_LAB_TEST_TEMPORAL_PID = String(server.pid);
  process.env.CITUS_LAB_TEST_TEMPORAL_DIR = dir;
}
