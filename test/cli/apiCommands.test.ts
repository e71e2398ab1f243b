/**
 * `api serve` input, validated before anything listens: the port (default base port + 100, 100 more
 * per standby, its env twin, never a node's or a standby's port), the listen address, and --pg-host with its password from PGPASSWORD only.
 */
import { Command } from 'commander';
import { addServeOptions, readApiServeRequest } from '../../src/cli/apiCommands.js';
import { main } from '../../src/cli/main.js';

const DATA_DIR = '/tmp/citus-lab-api-cli-test';

function request(args: string[], env: NodeJS.ProcessEnv = {}) {
  const saved = { ...process.env };
  // commander reads env twins from process.env at parse time.
  for (const key of Object.keys(process.env)) if (key.startsWith('CITUS_LAB_') || key === 'PGPASSWORD') delete process.env[key];
  Object.assign(process.env, env);
  try {
    const cmd = addServeOptions(new Command('serve')).exitOverride();
    cmd.parse(['--data-dir', DATA_DIR, ...args], { from: 'user' });
    return readApiServeRequest(cmd, process.env);
  } finally {
    process.env = saved;
  }
}

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: { write: (t: string) => ((stdout += t), true) }, stderr: { write: (t: string) => ((stderr += t), true) }, env: {} });
  return { code, stdout, stderr };
}

test('defaults: loopback, base port + 100, the lab coordinator', () => {
  expect(request([])).toMatchObject({ host: '127.0.0.1', port: 15532, spec: { basePort: 15432, cluster: 'lab' } });
  expect(request(['--base-port', '20000'])).toMatchObject({ port: 20100 });
  expect(request([]).connection).toBeUndefined();
});

test('--api-port and its twin CITUS_LAB_API_PORT', () => {
  expect(request(['--api-port', '18080']).port).toBe(18080);
  expect(request([], { CITUS_LAB_API_PORT: '18081' }).port).toBe(18081);
  expect(() => request(['--api-port', '80x'])).toThrow('--api-port must be a whole number, got "80x".');
});

test("an API port that is one of the nodes' ports is refused", () => {
  expect(() => request(['--api-port', '15433'])).toThrow('API port must not be one of the node ports');
});

test('--pg-host takes the password from PGPASSWORD, and refuses to run without it', () => {
  expect(request(['--pg-host', 'db.local', '--pg-port', '6543', '--database', 'clinic'], { PGPASSWORD: 's3cret' }).connection).toEqual({
    host: 'db.local',
    port: 6543,
    user: 'postgres',
    password: 's3cret',
    database: 'clinic',
  });
  expect(() => request(['--pg-host', 'db.local'])).toThrow('--pg-host needs the password in PGPASSWORD (never on the command line).');
  expect(() => request(['--pg-port', '6543'], { PGPASSWORD: 'x' })).toThrow('--pg-port and --pg-user need --pg-host.');
});

test('the CLI refuses a listen address other than loopback or a container’s 0.0.0.0, with exit 2', async () => {
  const bad = await run(['api', 'serve', '--api-host', '10.0.0.5', '--data-dir', DATA_DIR]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("argument '10.0.0.5' is invalid. Allowed choices are 127.0.0.1, 0.0.0.0.");
  const help = await run(['api', 'serve', '--help']);
  expect(help.code).toBe(0);
  for (const text of ['--api-port', 'CITUS_LAB_API_PORT', '--api-host', '--pg-host', 'PGPASSWORD', '--base-port']) expect(help.stdout).toContain(text);
});

test('with standbys the default API port moves above their ports, and a standby port is refused', () => {
  // coordinator-s1 listens on base port + 100.
  expect(request(['--base-port', '20000', '--standbys', '1']).port).toBe(20200);
  expect(request(['--base-port', '20000', '--standbys', '2']).port).toBe(20300);
  expect(() => request(['--base-port', '20000', '--standbys', '1', '--api-port', '20101'])).toThrow('API port must not be one of the standby ports');
  expect(() => request(['--base-port', '20000', '--standbys', '1', '--api-port', '20100'])).toThrow('standby ports');
  expect(request(['--base-port', '20000', '--standbys', '1', '--api-port', '20150']).port).toBe(20150);
});
