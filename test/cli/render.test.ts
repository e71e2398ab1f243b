/** Progress lines and summaries: pure text, checked exactly. */
import { LiveLineRenderer, TransitionRenderer, liveLine, transitionLines } from '../../src/cli/render.js';
import { summarizeStatus, table } from '../../src/cli/summary.js';
import type { Progress, StepState } from '../../src/workflows/progress.js';

const t0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(t0 + ms).toISOString();

function progress(steps: StepState[]): Progress {
  return { workflow: 'DeployLab', cluster: 'lab', startedAt: at(0), steps };
}

test('the live line shows the running step, its position and its elapsed time', () => {
  const p = progress([
    { name: 'preflight', status: 'done', durationMs: 300 },
    { name: 'provision', status: 'done', durationMs: 900 },
    { name: 'wait-ready', status: 'running', startedAt: at(1000) },
    { name: 'verify', status: 'pending' },
  ]);
  expect(liveLine(p, t0 + 13_400)).toBe('[3/4] wait-ready (12.4s elapsed)');
  expect(liveLine(progress([{ name: 'a', status: 'done' }, { name: 'b', status: 'pending' }]), t0)).toBe('[1/2] waiting for the next step');
});

test('the live renderer rewrites one line and clears it at the end', () => {
  let text = '';
  const renderer = new LiveLineRenderer({ write: (s: string) => (text += s) }, () => t0 + 2000);
  renderer.update(progress([{ name: 'a', status: 'running', startedAt: at(500) }]));
  renderer.note('No worker polls task queue citus-lab');
  renderer.finish();
  expect(text).toBe(
    '\r\x1b[2K[1/1] a (1.5s elapsed)' + '\r\x1b[2KNo worker polls task queue citus-lab\n[1/1] a (1.5s elapsed)' + '\r\x1b[2K',
  );
});

test('transition lines: one per change, none when nothing changed', () => {
  const seen = new Map<string, StepState['status']>();
  expect(
    transitionLines(progress([{ name: 'preflight', status: 'running' }, { name: 'provision', status: 'pending' }]), seen),
  ).toEqual(['step 1/2 preflight started']);
  expect(
    transitionLines(progress([{ name: 'preflight', status: 'running' }, { name: 'provision', status: 'pending' }]), seen),
  ).toEqual([]);
  expect(
    transitionLines(
      progress([
        { name: 'preflight', status: 'done', durationMs: 1234, detail: 'ok' },
        { name: 'provision', status: 'failed', durationMs: 50, detail: 'disk full' },
      ]),
      seen,
    ),
  ).toEqual(['step 1/2 preflight done in 1.2s: ok', 'step 2/2 provision failed after 0.1s: disk full']);

  let text = '';
  const renderer = new TransitionRenderer({ write: (s: string) => (text += s) });
  renderer.update(progress([{ name: 'x', status: 'skipped', detail: 'not needed' }]));
  expect(text).toBe('step 1/1 x skipped: not needed\n');
});

test('status prints a node table and the Citus workers', () => {
  const lines = summarizeStatus({
    cluster: 'lab',
    env: 'local',
    message: '3 of 3 nodes running',
    coordinatorReachable: true,
    nodes: [
      { name: 'coordinator', running: true, pid: 4242 },
      { name: 'worker-0', running: false, detail: 'stopped' },
    ],
    citusWorkers: [{ host: '127.0.0.1', port: 15433, active: true, shouldHaveShards: false }],
    steps: [],
  });
  expect(lines).toEqual([
    'Lab "lab" (local): 3 of 3 nodes running',
    '',
    'NODE         RUNNING  PID   DETAIL',
    'coordinator  yes      4242',
    'worker-0     no       -     stopped',
    '',
    'CITUS WORKER     ACTIVE  HAS SHARDS',
    '127.0.0.1:15433  yes     no',
  ]);
  expect(table(['A'], [])).toEqual(['A']);
});

test('status shows the API: its URL, ready or not, and its pid', () => {
  const base = { cluster: 'lab', env: 'local', message: 'ok', coordinatorReachable: false, nodes: [], citusWorkers: [], steps: [] };
  const ready = summarizeStatus({ ...base, api: { url: 'http://127.0.0.1:15532', running: true, ready: true, pid: 77, detail: 'running' } });
  expect(ready).toContain('FHIR API: http://127.0.0.1:15532 (ready, pid 77)');
  const down = summarizeStatus({ ...base, api: { url: 'http://127.0.0.1:15532', running: false, ready: false, detail: 'not started (deploy starts it)' } });
  expect(down).toContain('FHIR API: http://127.0.0.1:15532 (not started (deploy starts it))');
  const starting = summarizeStatus({ ...base, api: { url: 'http://127.0.0.1:15532', running: true, ready: false, pid: 78 } });
  expect(starting).toContain('FHIR API: http://127.0.0.1:15532 (running, not ready, pid 78)');
  // Results of workers from before the API have no `api`: no line at all.
  expect(summarizeStatus(base).some((l) => l.startsWith('FHIR API'))).toBe(false);
});
