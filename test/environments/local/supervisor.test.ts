/**
 * The local environment's supervisor on a real (plain PostgreSQL) lab: a killed node comes back by
 * itself, a deliberate stop is respected, the supervisor outlives the process that started it, and
 * teardown leaves no supervisor behind.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseLabSpec } from '../../../src/config/labSpec.js';
import { LocalEnvironment } from '../../../src/environments/local/localEnvironment.js';
import { runningSupervisor, supervisorFiles } from '../../../src/environments/local/supervisor.js';
import { connectNode, makeTempLab, type TempLab } from '../../support/localLab.js';
import { childEnv, repoRoot } from '../../cli/runCli.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/startSupervisedLab.ts', import.meta.url));

/** Every live process whose command line marks it as a supervisor of `clusterDir`. */
function supervisorsOf(clusterDir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--citus-lab-supervisor=${clusterDir}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function acceptsConnections(lab: TempLab, node: string): Promise<boolean> {
  try {
    const client = await connectNode(lab, node);
    await client.query('SELECT 1');
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds until `node` accepts connections again, polling every 25 ms; throws after `limitMs`. */
async function backWithin(lab: TempLab, node: string, limitMs: number, since: number): Promise<number> {
  while (Date.now() - since < limitMs) {
    if (await acceptsConnections(lab, node)) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${node} did not come back within ${limitMs} ms`);
}

/** Waits until the supervisor log matches (its lines trail the events they report by a few ms). */
async function logMatches(lab: TempLab, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const file = supervisorFiles(lab.env.layout).logFile;
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '')) {
    if (Date.now() > deadline) throw new Error(`supervisor.log never matched ${pattern}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const running = async (lab: TempLab, node: string) => (await lab.env.status()).find((s) => s.name === node)?.running;

describe('the local node supervisor', () => {
  let lab: TempLab;

  beforeAll(async () => {
    lab = await makeTempLab({ workers: 2, supervise: true });
    await lab.env.preflight();
    await lab.env.provision();
  }, 120_000);
  afterAll(async () => {
    await lab?.cleanup();
    if (lab) expect(supervisorsOf(lab.env.layout.clusterDir)).toEqual([]);
  });

  test('startNodes starts one supervisor, and a second start keeps it', async () => {
    await lab.env.startNodes();
    const first = runningSupervisor(lab.env.layout);
    expect(first?.pid).toEqual(expect.any(Number));
    await lab.env.startNodes();
    expect(runningSupervisor(lab.env.layout)?.pid).toBe(first?.pid);
    expect(supervisorsOf(lab.env.layout.clusterDir)).toEqual([first?.pid]);
    await logMatches(lab, new RegExp(`\\[supervisor ${first?.pid}\\] watching coordinator, worker-0, worker-1, api `));
  });

  test('a start with another database or fewer workers keeps the supervisor', async () => {
    const pid = runningSupervisor(lab.env.layout)?.pid;
    const narrower = new LocalEnvironment(parseLabSpec({ ...lab.spec, workers: 1, database: 'other', patients: 5 }), {
      preloadCitus: false,
      supervise: true,
    });
    await narrower.startNodes();
    expect(runningSupervisor(lab.env.layout)?.pid).toBe(pid);
  });

  test('a killed worker is back within a couple of seconds without any call', async () => {
    const before = (await lab.env.status()).find((s) => s.name === 'worker-0')?.pid;
    const killedAt = Date.now();
    await lab.env.injectFault('worker-0');
    const backAfterMs = await backWithin(lab, 'worker-0', 5_000, killedAt);
    process.stderr.write(`supervisor: worker-0 accepted connections ${backAfterMs} ms after SIGKILL\n`);
    expect(backAfterMs).toBeLessThan(3_000);
    const after = (await lab.env.status()).find((s) => s.name === 'worker-0');
    expect(after).toMatchObject({ running: true });
    expect(after?.pid).not.toBe(before);
    await logMatches(lab, /worker-0: postmaster is not running; restarting\n.*worker-0: restarted, accepting connections after \d+ ms/);
  });

  test('the coordinator comes back too', async () => {
    const killedAt = Date.now();
    await lab.env.injectFault('coordinator');
    expect(await backWithin(lab, 'coordinator', 5_000, killedAt)).toBeLessThan(3_000);
  });

  test('stopNodes stops the supervisor first: no node is restarted behind it', async () => {
    await lab.env.stopNodes();
    expect(runningSupervisor(lab.env.layout)).toBeUndefined();
    expect(supervisorsOf(lab.env.layout.clusterDir)).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await running(lab, 'coordinator')).toBe(false);
    expect(await running(lab, 'worker-0')).toBe(false);
  });

  test('the supervisor outlives the process that started the lab', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(lab.spec)], {
      cwd: repoRoot,
      env: childEnv({}),
      timeout: 120_000,
    });
    expect(JSON.parse(stdout)).toEqual({ started: ['coordinator', 'worker-0', 'worker-1'], alreadyRunning: [] });
    const supervisor = runningSupervisor(lab.env.layout);
    expect(supervisor).toBeDefined();
    await logMatches(lab, new RegExp(`\\[supervisor ${supervisor?.pid}\\] watching`));

    const killedAt = Date.now();
    await lab.env.injectFault('worker-0');
    expect(await backWithin(lab, 'worker-0', 5_000, killedAt)).toBeLessThan(3_000);
  });

  test('teardown leaves no supervisor and no node running', async () => {
    await lab.env.teardown({ removeData: false });
    expect(supervisorsOf(lab.env.layout.clusterDir)).toEqual([]);
    expect((await lab.env.status()).every((s) => !s.running)).toBe(true);
  });
});
