/**
 * The local lab's API as a supervised process, on a real (plain PostgreSQL) lab: startApi brings up
 * `citus-lab api serve` detached (pid and log under the lab dir), a second start keeps it, the
 * supervisor restarts it after a SIGKILL, teardown stops it for good, and a port held by someone else
 * is a PortInUse naming the holder.
 */
import fs from 'node:fs';
import net from 'node:net';
import { apiFiles, isApiOf, runningApi } from '../../../src/environments/local/apiProcess.js';
import { LocalEnvironment } from '../../../src/environments/local/localEnvironment.js';
import { parseLabSpec } from '../../../src/config/labSpec.js';
import { isLabError } from '../../../src/errors.js';
import { startTempLab, type TempLab } from '../../support/localLab.js';
import { loadPlainSchema } from '../../support/plainSchemaLab.js';
import { rejectionOf } from '../../support/rejection.js';

async function answers(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the local API process', () => {
  let lab: TempLab;
  let url: string;

  beforeAll(async () => {
    lab = await startTempLab({ supervise: true });
    // startApi creates the API's signing key and accounts (the patient account needs a loaded patient).
    await loadPlainSchema(lab, 10);
  }, 120_000);
  afterAll(async () => {
    await lab?.cleanup();
  });

  test('startApi starts it on base port + 100, ready once the database answers; a second start keeps it', async () => {
    const started = await lab.env.startApi();
    url = `http://127.0.0.1:${lab.spec.basePort + 100}`;
    expect(started).toMatchObject({ url, started: true });
    expect(await answers(`${url}/health`)).toBe(200);
    expect(await until('/ready', async () => ((await answers(`${url}/ready`)) === 200 ? true : undefined))).toBe(true);
    const first = runningApi(lab.env.layout, lab.spec);
    expect(first?.port).toBe(lab.spec.basePort + 100);
    expect(fs.readFileSync(apiFiles(lab.env.layout).logFile, 'utf8')).toContain(`listening on ${url}`);

    expect(await lab.env.startApi()).toMatchObject({ url, started: false });
    expect(runningApi(lab.env.layout, lab.spec)?.pid).toBe(first?.pid);
    expect(await lab.env.apiState()).toEqual({ url, running: true, pid: first?.pid, detail: 'running' });
  }, 120_000);

  test('a killed API is restarted by the supervisor, without any call', async () => {
    const before = runningApi(lab.env.layout, lab.spec);
    if (!before) throw new Error('the API is not running');
    process.kill(before.pid, 'SIGKILL');
    const killedAt = Date.now();
    const after = await until('a new API process', () => {
      const now = runningApi(lab.env.layout, lab.spec);
      return now && now.pid !== before.pid ? now : undefined;
    });
    await until('/health again', async () => ((await answers(`${url}/health`)) === 200 ? true : undefined));
    process.stderr.write(`supervisor: API answering again ${Date.now() - killedAt} ms after SIGKILL\n`);
    expect(after.port).toBe(before.port);
    // A first attempt may still find the port held while the killed process exits: it is retried.
    const restarted = /api: API process is not running; restarting\n[\s\S]*api: restarted, accepting connections after \d+ ms/;
    const log = await until('the restart in supervisor.log', () => {
      const text = fs.readFileSync(`${lab.env.layout.logsDir}/supervisor.log`, 'utf8');
      return restarted.test(text) ? text : undefined;
    }, 10_000);
    expect(log).toMatch(restarted);
  }, 120_000);

  test('a port held by another process is refused with PortInUse, naming the holder and --api-port', async () => {
    const holder = net.createServer();
    const port = lab.spec.basePort + 3;
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const other = new LocalEnvironment(parseLabSpec({ ...lab.spec, cluster: 'other', apiPort: port }), { preloadCitus: false });
      fs.mkdirSync(other.layout.clusterDir, { recursive: true });
      const err = await rejectionOf(other.startApi());
      expect(isLabError(err) && err.type).toBe('PortInUse');
      expect((err as Error).message).toMatch(new RegExp(`Port ${port} \\(for the API of lab "other"\\) is already in use by process node \\(pid ${process.pid}\\): .*--api-port`));
    } finally {
      holder.close();
    }
  });

  test('teardown stops it for good: no process, no wanted state, the supervisor does not bring it back', async () => {
    const pid = runningApi(lab.env.layout, lab.spec)?.pid;
    await lab.env.teardown({ removeData: false });
    expect(runningApi(lab.env.layout, lab.spec)).toBeUndefined();
    expect(fs.existsSync(apiFiles(lab.env.layout).launchFile)).toBe(false);
    // Gone, or at most a zombie nobody reaped yet (containers' init): not a live API of this lab.
    expect(pid !== undefined && isApiOf(pid, lab.spec)).toBe(false);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await answers(`${url}/health`)).toBeUndefined();
    expect(await lab.env.apiState()).toMatchObject({ running: false, detail: 'not started (deploy starts it)' });
  }, 60_000);
});
