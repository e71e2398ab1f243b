/**
 * Entry point of a lab's node supervisor (started by supervisor.ts, detached):
 *   node supervisorMain.ts --citus-lab-supervisor=<clusterDir> <base64 launch JSON>
 * Restarts dead postmasters through the local environment's own start path (stale-lock clearing
 * included) and exits on SIGTERM, when the lab directory disappears, or when a newer supervisor
 * took its place in supervisor.pid.
 */
import fs from 'node:fs';
import { labSpecSchema } from '../../config/labSpec.js';
import { LocalEnvironment } from './localEnvironment.js';
import { apiFiles, runningApi } from './apiProcess.js';
import { runningPostmaster } from './postmaster.js';
import { supervisorFiles, type SupervisorLaunch } from './supervisor.js';
import { superviseNodes } from './supervisorLoop.js';

const POLL_MS = 50;
const API = 'api';

function parseLaunch(encoded: string | undefined): SupervisorLaunch {
  const raw = JSON.parse(Buffer.from(encoded ?? '', 'base64').toString('utf8')) as Partial<SupervisorLaunch>;
  return { spec: labSpecSchema.parse(raw.spec), preloadCitus: raw.preloadCitus !== false, pgBinDir: raw.pgBinDir };
}

async function main(): Promise<void> {
  const launch = parseLaunch(process.argv[3]);
  const env = new LocalEnvironment(launch.spec, { preloadCitus: launch.preloadCitus, pgBinDir: launch.pgBinDir, supervise: false });
  const { layout } = env;
  const files = supervisorFiles(layout);
  const log = (line: string) => {
    try {
      fs.appendFileSync(files.logFile, `${new Date().toISOString()} [supervisor ${process.pid}] ${line}\n`);
    } catch {
      // the lab is being removed; stillMine() ends the loop next round
    }
  };
  const stillMine = () => {
    try {
      return (JSON.parse(fs.readFileSync(files.pidFile, 'utf8')) as { pid?: number }).pid === process.pid;
    } catch {
      return false;
    }
  };

  let requestStop: () => void = () => undefined;
  const stopRequested = new Promise<void>((resolve) => (requestStop = resolve));
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(sig, () => {
      log(`${sig}: stopping after restarts in flight`);
      requestStop();
    });
  }

  // The parent writes supervisor.pid right after spawning us; give it a moment before judging.
  for (let waited = 0; !stillMine() && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));

  // Standby members too; a member fenced by a failover is "not provisioned" for us, so it stays down.
  // The API is watched like a node once a deploy asked for it (api.json exists).
  const names = [...env.supervisedMembers(), API];
  log(`watching ${names.join(', ')} of lab ${launch.spec.cluster} every ${POLL_MS} ms`);
  await superviseNodes(
    {
      names,
      isProvisioned: (name) => (name === API ? fs.existsSync(apiFiles(layout).launchFile) : env.mayRestart(name)),
      isRunning: (name) => (name === API ? runningApi(layout, launch.spec) !== undefined : runningPostmaster(layout.nodeDir(name)) !== undefined),
      restart: async (name) => {
        if (name === API) await env.restartApi();
        else await env.startMember(name);
      },
      processName: (name) => (name === API ? 'API process' : 'postmaster'),
    },
    { pollMs: POLL_MS, stillMine, log, stopRequested },
  );
  log('stopped');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${new Date().toISOString()} supervisor failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
