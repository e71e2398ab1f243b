/**
 * The benchmark suite's shape: `bench/run.ts` runs the seed-style baseline script once and every
 * section, then prints one table of ratios and writes JSON. Sections never assert: they measure.
 */

/** What `../shared/bench/seed_baseline.sh` prints (seconds unless named otherwise). */
export interface SeedBaseline {
  tool: string;
  workers_registered: number;
  start_nodes_s: number;
  register_workers_s: number;
  schema_s: number;
  insert_4000_rows_s: number;
  inserts_per_s: number;
  join_rows: number;
  query_s: number;
  ha_probe_failures: number;
  ha_probe_tries: number;
  ha_recovery_s_after_kill: number;
  rows_before: number;
  rows_after: number;
  drain_s: number | null;
  total_s: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export interface BenchFigure {
  /** e.g. `deploy: start to verified cluster`. */
  name: string;
  unit: 's' | 'ms' | 'rows/s' | 'req/s';
  ours: Spread;
  /** The seed-style figure measured in the same run, when there is one. */
  seed?: number;
  /** How many times better ours is (>1 is better), whatever the unit's direction. */
  ratio?: number;
  target?: string;
  note?: string;
}

export interface BenchContext {
  /** Baseline measured in this run, or null when it could not run (reason in `baselineSkipped`). */
  baseline: SeedBaseline | null;
  baselineSkipped?: string;
  /** How many repetitions each figure should take (median, min, max over them). */
  runs: number;
  /** `--trials N`: crash-campaign trials (N deploys, N/2 drains, N/2 HA drills). */
  trials?: number;
  /** `--campaign-ops deploy,drain,ha-drill`: which of the campaign's operations run (default all). */
  campaignOps?: string[];
  /** Scratch space for this run (labs, data dirs); removed afterwards. */
  workDir: string;
  /** A free port range start for the section's own labs. */
  basePort: number;
  log(line: string): void;
}

export interface BenchSection {
  name: string;
  /** False when the section compares with nothing from the seed-style baseline (it then does not run for it). */
  usesBaseline?: boolean;
  run(ctx: BenchContext): Promise<BenchFigure[]>;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}
