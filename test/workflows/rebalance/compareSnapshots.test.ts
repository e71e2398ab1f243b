/** The proof of no loss and the progress line, as pure functions. */
import { compareSnapshots, formatPlacements, proofProblems } from '../../../src/workflows/rebalance/compareSnapshots.js';
import { describeProgress, formatBytes, isNewerProgress } from '../../../src/workflows/rebalance/rebalanceProgress.js';
import type { DataSnapshot, TableSnapshot } from '../../../src/workflows/rebalance/rebalanceTypes.js';
import { fakeJobProgress } from '../../support/fakeActivities.js';

const table = (name: string, rows: number, checksum: string): TableSnapshot => ({ table: name, kind: 'distributed', rows, checksum });
const snapshot = (tables: TableSnapshot[], placements: Record<string, number>): DataSnapshot => ({
  takenAt: '2026-11-23T00:00:00.000Z',
  tables,
  nodes: [
    { node: 'coordinator', address: '127.0.0.1:1', isCoordinator: true, active: true, shouldHaveShards: false, placements: 0 },
    ...Object.entries(placements).map(([node, n]) => ({ node, address: node, isCoordinator: false, active: true, shouldHaveShards: true, placements: n })),
  ],
});

test('unchanged rows and checksums pass; placements are listed without the empty coordinator', () => {
  const before = snapshot([table('pacientes', 100, '42'), table('observaciones', 300, '7')], { 'worker-1': 16, 'worker-0': 16 });
  const after = snapshot([table('observaciones', 300, '7'), table('pacientes', 100, '42')], { 'worker-0': 32, 'worker-1': 0 });
  const proof = compareSnapshots(before, after);
  expect(proof.ok).toBe(true);
  expect(proof.tables.map((t) => [t.table, t.verdict])).toEqual([
    ['observaciones', 'unchanged'],
    ['pacientes', 'unchanged'],
  ]);
  expect(proof.placementsBefore).toEqual({ 'worker-0': 16, 'worker-1': 16 });
  expect(formatPlacements(proof.placementsAfter)).toBe('worker-0=32, worker-1=0');
  expect(proofProblems(proof)).toEqual([]);
});

test('a changed checksum, lost rows and a vanished table fail, each with its sentence', () => {
  const before = snapshot([table('a', 10, '1'), table('b', 10, '2'), table('c', 10, '3')], {});
  const after = snapshot([table('a', 10, '9'), table('b', 9, '2')], {});
  const proof = compareSnapshots(before, after);
  expect(proof.ok).toBe(false);
  expect(proof.tables.map((t) => t.verdict)).toEqual(['changed', 'lost rows', 'missing']);
  expect(proofProblems(proof)).toEqual([
    'table a changed during the run (10 -> 10 rows, checksum differs); if a workload wrote to it on purpose, name it in --writes-to',
    'table b lost rows: 10 before, 9 after',
    'table c is gone (10 rows before)',
  ]);
});

test('a declared write target may grow but must not lose rows; a new table is fine', () => {
  const before = snapshot([table('public.observaciones', 300, '7')], {});
  const grew = compareSnapshots(before, snapshot([table('public.observaciones', 350, '8'), table('notas', 5, '1')], {}), ['observaciones']);
  expect(grew.ok).toBe(true);
  expect(grew.tables.map((t) => t.verdict)).toEqual(['new', 'grew']);
  const shrank = compareSnapshots(before, snapshot([table('public.observaciones', 299, '8')], {}), ['observaciones']);
  expect(shrank.tables[0]?.verdict).toBe('lost rows');
  expect(shrank.ok).toBe(false);
});

test('progress lines and ordering of late signals', () => {
  expect(formatBytes(512)).toBe('512 B');
  expect(formatBytes(3 * 1024 * 1024 + 200 * 1024)).toBe('3.2 MB');
  const p = { ...fakeJobProgress(7, 'running', 5), tasksTotal: 17, lastError: 'could not connect' };
  expect(describeProgress(p)).toBe(
    'job 7 running: 5/16 moves (+1 other tasks), 320 kB of 1.0 MB; moving shard 102013 worker-1 -> worker-0 (Catching Up); last task error: could not connect',
  );
  expect(describeProgress(p, { phases: false })).toContain('; moving shard 102013 worker-1 -> worker-0; last task error');
  const older = { ...p, seq: 4, observedAt: '2026-11-23T00:00:01.000Z' };
  const newer = { ...p, seq: 1, observedAt: '2026-11-23T00:00:02.000Z' };
  expect(isNewerProgress(undefined, older)).toBe(true);
  expect(isNewerProgress(newer, older)).toBe(false);
  expect(isNewerProgress(older, newer)).toBe(true);
  expect(isNewerProgress(older, { ...older, jobId: 8 })).toBe(true);
});
