/**
 * The proof of no loss: two data snapshots (before and after the moves) compared table by table, and
 * placements per node side by side. Pure, so the workflow decides PASS/FAIL deterministically.
 */
import type { DataProof, DataSnapshot, NodeSnapshot, ProofLine, TableSnapshot } from './rebalanceTypes.js';

/** Placements per node; a coordinator that holds none and may hold none is left out (it never does). */
export function placementsByNode(nodes: readonly NodeSnapshot[]): Record<string, number> {
  return Object.fromEntries(
    nodes
      .filter((n) => !n.isCoordinator || n.placements > 0 || n.shouldHaveShards)
      .sort((a, b) => a.node.localeCompare(b.node))
      .map((n) => [n.node, n.placements]),
  );
}

function line(table: string, before: TableSnapshot | undefined, after: TableSnapshot | undefined, writable: boolean): ProofLine {
  const base = {
    table,
    rowsBefore: before?.rows ?? 0,
    rowsAfter: after?.rows ?? 0,
    checksumBefore: before?.checksum ?? '',
    checksumAfter: after?.checksum ?? '',
  };
  if (!after) return { ...base, verdict: 'missing', ok: false };
  // A table that appeared during the run held nothing before: nothing of it can have been lost.
  if (!before) return { ...base, verdict: 'new', ok: true };
  if (before.rows === after.rows && before.checksum === after.checksum) return { ...base, verdict: 'unchanged', ok: true };
  if (after.rows < before.rows) return { ...base, verdict: 'lost rows', ok: false };
  if (writable) return { ...base, verdict: 'grew', ok: true };
  return { ...base, verdict: 'changed', ok: false };
}

/** `writesTo`: tables a workload wrote to during the run; they only have to keep every row they had. */
export function compareSnapshots(before: DataSnapshot, after: DataSnapshot, writesTo: readonly string[] = []): DataProof {
  const byName = (s: DataSnapshot) => new Map(s.tables.map((t) => [t.table, t]));
  const b = byName(before);
  const a = byName(after);
  const names = [...new Set([...b.keys(), ...a.keys()])].sort();
  const writable = new Set(writesTo);
  const tables = names.map((name) => line(name, b.get(name), a.get(name), writable.has(name) || writable.has(bareName(name))));
  return {
    ok: tables.every((t) => t.ok),
    tables,
    placementsBefore: placementsByNode(before.nodes),
    placementsAfter: placementsByNode(after.nodes),
  };
}

/** `public.notas` -> `notas`: users name tables the way they typed them. */
function bareName(table: string): string {
  const dot = table.lastIndexOf('.');
  return dot < 0 ? table : table.slice(dot + 1);
}

/** One sentence per failed table, for the result's `problems` and the error message. */
export function proofProblems(proof: DataProof): string[] {
  return proof.tables
    .filter((t) => !t.ok)
    .map((t) => {
      switch (t.verdict) {
        case 'missing':
          return `table ${t.table} is gone (${t.rowsBefore} rows before)`;
        case 'lost rows':
          return `table ${t.table} lost rows: ${t.rowsBefore} before, ${t.rowsAfter} after`;
        default:
          return (
            `table ${t.table} changed during the run (${t.rowsBefore} -> ${t.rowsAfter} rows, checksum differs); ` +
            'if a workload wrote to it on purpose, name it in --writes-to'
          );
      }
    });
}

export function formatPlacements(placements: Record<string, number>): string {
  const entries = Object.entries(placements);
  return entries.length ? entries.map(([node, n]) => `${node}=${n}`).join(', ') : 'none';
}
