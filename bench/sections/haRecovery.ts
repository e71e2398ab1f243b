/**
 * HA recovery, through the real CLI: deploy a local lab (1 coordinator + 2 workers, supervised), then
 * `ha-drill --node worker-0` several times. The headline is the time from the SIGKILL to the first
 * lasting successful multi-shard query (probes every 100 ms), against the seed-style script's kill ->
 * first successful distributed query (its probes: 10 tries at 0.5 s, then a manual restart).
 */
import { benchLab, disposeBenchLab, runLabCli } from '../labCli.js';
import { spread, type BenchFigure, type BenchSection } from '../types.js';

interface DrillFigures {
  firstDistributedQueryMs: number;
  nodeAcceptingMs: number;
  detectMs: number;
  recoveryMs: number;
  lost: number;
  committed: number;
}

function figuresOf(result: Record<string, unknown>): DrillFigures {
  const metrics = result.metrics as Partial<Record<keyof DrillFigures, number>>;
  const writes = (result.after as { writes?: { lost: number; committed: number } } | undefined)?.writes;
  const need = (key: keyof DrillFigures) => {
    const value = metrics[key];
    if (typeof value !== 'number') throw new Error(`the drill measured no ${key} (status ${String(result.status)})`);
    return value;
  };
  return {
    firstDistributedQueryMs: need('firstDistributedQueryMs'),
    nodeAcceptingMs: need('nodeAcceptingMs'),
    detectMs: need('detectMs'),
    recoveryMs: need('recoveryMs'),
    lost: writes?.lost ?? Number.NaN,
    committed: writes?.committed ?? 0,
  };
}

export const haRecoverySection: BenchSection = {
  name: 'ha recovery',
  async run(ctx) {
    const lab = await benchLab(ctx.workDir, 'ha-recovery', ctx.basePort);
    const drills: DrillFigures[] = [];
    try {
      await runLabCli(lab, 'deploy', ['--patients', '1000']);
      for (let i = 0; i < ctx.runs; i++) {
        const { result } = await runLabCli(lab, 'ha-drill', ['--node', 'worker-0', '--cadence-ms', '100', '--duration-after-recovery-s', '2']);
        if (result.status !== 'PASS') throw new Error(`drill ${i + 1} ended ${String(result.status)}: ${JSON.stringify(result.checks)}`);
        const f = figuresOf(result);
        ctx.log(
          `drill ${i + 1}/${ctx.runs}: detect ${f.detectMs} ms, node accepting ${f.nodeAcceptingMs} ms, ` +
            `first distributed query ${f.firstDistributedQueryMs} ms, every class ${f.recoveryMs} ms, ${f.lost}/${f.committed} writes lost`,
        );
        drills.push(f);
      }
    } finally {
      await disposeBenchLab(lab);
    }
    const seconds = (pick: (f: DrillFigures) => number) => spread(drills.map((f) => pick(f) / 1000));
    const ms = (pick: (f: DrillFigures) => number) => spread(drills.map(pick));
    const firstQuery = seconds((f) => f.firstDistributedQueryMs);
    const seed = ctx.baseline?.ha_recovery_s_after_kill;
    const lost = drills.reduce((n, f) => n + f.lost, 0);
    const committed = drills.reduce((n, f) => n + f.committed, 0);
    const figures: BenchFigure[] = [
      {
        name: 'HA: kill to first successful distributed query (worker-0, probes every 100 ms)',
        unit: 's',
        ours: firstQuery,
        seed,
        ratio: seed ? seed / firstQuery.median : undefined,
        target: '<= 2 s after the kill',
        note: `the supervisor restarts the node; seed: 10 probes at 0.5 s, then pg_ctl start; committed writes lost: ${lost} of ${committed}`,
      },
      { name: 'HA: kill to node accepting connections', unit: 'ms', ours: ms((f) => f.nodeAcceptingMs) },
      { name: 'HA: kill to first failed probe (time to detect)', unit: 'ms', ours: ms((f) => f.detectMs) },
      { name: 'HA: kill to every probe class healthy again', unit: 'ms', ours: ms((f) => f.recoveryMs) },
    ];
    return figures;
  },
};
