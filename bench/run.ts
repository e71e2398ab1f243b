/**
 * `npm run bench [-- --runs N --only deploy,overhead --no-baseline]`: runs the seed-style baseline
 * and citus-lab side by side on this machine and prints a table of ratios (and writes JSON to
 * bench/results/). Nothing here passes or fails: the figures are for people to read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { citusInstalled } from '../src/environments/local/pgBinaries.js';
import { findFreePortRange } from '../src/environments/local/ports.js';
import { runSeedBaseline } from './seedBaseline.js';
import { apiSection } from './sections/api.js';
import { crashCampaignSection } from './sections/crashCampaign.js';
import { deploySection } from './sections/deploy.js';
import { drainSection } from './sections/drain.js';
import { haRecoverySection } from './sections/haRecovery.js';
import { workflowOverheadSection } from './sections/workflowOverhead.js';
import type { BenchContext, BenchFigure, BenchSection, SeedBaseline } from './types.js';

const SECTIONS: Record<string, BenchSection> = {
  deploy: deploySection,
  overhead: workflowOverheadSection,
  ha: haRecoverySection,
  drain: drainSection,
  api: apiSection,
  'crash-campaign': crashCampaignSection,
};
/** Sections that run only when named in --only (the crash campaign takes tens of minutes). */
const OPT_IN = new Set(['crash-campaign']);

interface Args {
  runs: number;
  trials?: number;
  campaignOps?: string[];
  only?: string[];
  baseline: boolean;
  /** First of the bench's lab ports (default: a random free range), to keep clear of other labs on the machine. */
  basePort?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 3, baseline: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--runs') args.runs = Number(argv[++i]);
    else if (arg === '--only') args.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--no-baseline') args.baseline = false;
    else if (arg === '--trials') args.trials = Number(argv[++i]);
    else if (arg === '--base-port') args.basePort = Number(argv[++i]);
    else if (arg === '--campaign-ops') args.campaignOps = (argv[++i] ?? '').split(',').filter(Boolean);
    else throw new Error(`unknown argument ${arg}: use --runs N, --only ${Object.keys(SECTIONS).join(',')}, --no-baseline, --trials N, --campaign-ops deploy,drain,ha-drill, --base-port N`);
  }
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs takes a whole number >= 1');
  if (args.trials !== undefined && (!Number.isInteger(args.trials) || args.trials < 1)) throw new Error('--trials takes a whole number >= 1');
  if (args.basePort !== undefined && (!Number.isInteger(args.basePort) || args.basePort < 1024 || args.basePort > 65_000)) {
    throw new Error('--base-port takes a port number between 1024 and 65000');
  }
  for (const name of args.only ?? []) if (!SECTIONS[name]) throw new Error(`unknown section ${name}: ${Object.keys(SECTIONS).join(', ')}`);
  return args;
}

function fmt(value: number | undefined, unit: string): string {
  if (value === undefined) return '-';
  if (unit === 'rows/s' || unit === 'req/s') return `${Math.round(value).toLocaleString('en-US')} ${unit}`;
  return unit === 'ms' ? `${value.toFixed(1)} ms` : `${value.toFixed(2)} s`;
}

function table(figures: BenchFigure[]): string {
  const rows = figures.map((f) => [
    f.name,
    `${fmt(f.ours.median, f.unit)} (${fmt(f.ours.min, f.unit)} - ${fmt(f.ours.max, f.unit)}, n=${f.ours.runs})`,
    fmt(f.seed, f.unit),
    f.ratio === undefined ? '-' : `${f.ratio.toFixed(2)}x`,
    f.target ?? '',
  ]);
  const header = ['figure', 'citus-lab median (min - max)', 'seed-style', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!citusInstalled()) {
    console.log('bench: Citus is not installed for this PostgreSQL, so there is nothing to measure (see README, Citus); exiting.');
    return;
  }
  const selected = (args.only ?? Object.keys(SECTIONS).filter((name) => !OPT_IN.has(name))).map((name) => SECTIONS[name]!);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-bench-'));
  fs.chmodSync(workDir, 0o755);
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  let baseline: SeedBaseline | null = null;
  let baselineSkipped: string | undefined;
  try {
    if (args.baseline && selected.some((s) => s.usesBaseline !== false)) {
      log('running the seed-style baseline (shared/bench/seed_baseline.sh)...');
      // Always with its drain: the script's --no-drain path emits invalid Python (`null`) and fails.
      baseline = await runSeedBaseline(await findFreePortRange(3));
      log(`baseline done in ${baseline.total_s} s`);
    } else {
      baselineSkipped = args.baseline ? 'not needed by the selected sections' : '--no-baseline';
    }
    const ctx: BenchContext = { baseline, baselineSkipped, runs: args.runs, trials: args.trials, campaignOps: args.campaignOps, workDir, basePort: args.basePort ?? (await findFreePortRange(8)), log };
    const figures: BenchFigure[] = [];
    for (const section of selected) {
      log(`section ${section.name}...`);
      figures.push(...(await section.run(ctx)));
    }
    console.log(table(figures));
    const resultsDir = fileURLToPath(new URL('./results', import.meta.url));
    fs.mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, `${JSON.stringify({ machine: { cpus: os.cpus().length, node: process.version }, baseline, figures }, null, 2)}\n`);
    console.log(`\nJSON: ${file}`);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
