/**
 * Deploy and sample-data load, through the real CLI: from a fresh process with nothing running
 * (Temporal dev server, in-process worker, three PostgreSQL nodes all started by the command) to a
 * verified cluster. Compared with the seed-style steps it replaces, measured in the same run.
 */
import { benchLab, disposeBenchLab, runLabCli } from '../labCli.js';
import { spread, type BenchContext, type BenchFigure, type BenchSection } from '../types.js';

async function deployOnce(ctx: BenchContext, name: string, patients: number, options: { serverRunning?: boolean } = {}) {
  const lab = await benchLab(ctx.workDir, name, ctx.basePort);
  try {
    // Any command starts the embedded server; `status` on a lab that does not exist yet changes nothing.
    if (options.serverRunning) await runLabCli(lab, 'status');
    const { seconds, result } = await runLabCli(lab, 'deploy', ['--patients', String(patients)]);
    if (result.status !== 'PASS') throw new Error(`deploy ended ${String(result.status)}`);
    const load = result.load as { rowsPerSecond: number; rows: Record<string, number> };
    return { seconds, rowsPerSecond: load.rowsPerSecond };
  } finally {
    await disposeBenchLab(lab);
  }
}

export const deploySection: BenchSection = {
  name: 'deploy',
  async run(ctx) {
    const deploys: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const { seconds } = await deployOnce(ctx, `deploy-${i}`, 1000);
      ctx.log(`deploy run ${i + 1}/${ctx.runs}: ${seconds.toFixed(2)} s`);
      deploys.push(seconds);
    }
    const warm: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const { seconds } = await deployOnce(ctx, `deploy-warm-${i}`, 1000, { serverRunning: true });
      ctx.log(`deploy run ${i + 1}/${ctx.runs} with the Temporal server already up: ${seconds.toFixed(2)} s`);
      warm.push(seconds);
    }
    const loads: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const { rowsPerSecond } = await deployOnce(ctx, `load-${i}`, 100_000);
      ctx.log(`load run ${i + 1}/${ctx.runs}: ${Math.round(rowsPerSecond)} rows/s`);
      loads.push(rowsPerSecond);
    }
    const b = ctx.baseline;
    const seedDeploy = b ? b.start_nodes_s + b.register_workers_s + b.schema_s + b.insert_4000_rows_s + b.query_s : undefined;
    const deploy = spread(deploys);
    const load = spread(loads);
    const figures: BenchFigure[] = [
      {
        name: 'deploy: command start to verified cluster (1000 patients)',
        unit: 's',
        ours: deploy,
        seed: seedDeploy,
        ratio: seedDeploy ? seedDeploy / deploy.median : undefined,
        target: 'ratio >= 1 (no slower than the seed-style steps)',
        note: 'ours includes starting the Temporal dev server and the worker; seed: start nodes + register + schema + 4000 inserts + join',
      },
      {
        name: 'deploy, Temporal dev server already running (every command after the first)',
        unit: 's',
        ours: spread(warm),
        seed: seedDeploy,
        ratio: seedDeploy ? seedDeploy / spread(warm).median : undefined,
        target: 'ratio >= 1',
      },
      {
        name: 'sample data load through the coordinator (100000 patients, COPY)',
        unit: 'rows/s',
        ours: load,
        seed: b?.inserts_per_s,
        ratio: b ? load.median / b.inserts_per_s : undefined,
        target: '>= 100000 rows/s',
      },
    ];
    return figures;
  },
};
