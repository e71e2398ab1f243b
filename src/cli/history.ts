/**
 * `history export` and `history replay`: a run's history as JSON (the format of
 * `temporal workflow show --output json`, which the SDK's replayer reads), and a replay of a live
 * run's history against the workflow code in this checkout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { ensureDir } from '../config/dataDir.js';
import { ensureTemporalServer } from '../temporal/embedded.js';
import { installRuntime } from '../temporal/labWorker.js';
import { replayHistories, type ReplayOutcome } from '../temporal/replay.js';
import { EXIT_FAILURE, EXIT_OK } from './errors.js';
import type { CliIO } from './runLabWorkflow.js';

export interface HistoryRequest {
  workflowId: string;
  runId?: string;
  namespace: string;
  dataDir: string;
  temporalAddress?: { address: string; from: '--temporal-address' | 'TEMPORAL_ADDRESS' };
}

async function fetchHistory(request: HistoryRequest, io: CliIO) {
  const temporal = await ensureTemporalServer({
    explicit: request.temporalAddress,
    dataDir: request.dataDir,
    namespace: request.namespace,
    log: (line) => io.stderr.write(`${line}\n`),
    env: io.env,
  });
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const client = new Client({ connection, namespace: request.namespace });
    return await client.workflow.getHandle(request.workflowId, request.runId).fetchHistory();
  } finally {
    await connection.close();
  }
}

export async function exportHistory(request: HistoryRequest & { out?: string }, io: CliIO): Promise<number> {
  const history = await fetchHistory(request, io);
  const json = historyToJSON(history);
  if (request.out) {
    ensureDir(path.dirname(path.resolve(request.out)));
    fs.writeFileSync(request.out, `${json}\n`);
    io.stderr.write(`Wrote ${history.events?.length ?? 0} events of ${request.workflowId} to ${request.out}\n`);
  } else {
    io.stdout.write(`${json}\n`);
  }
  return EXIT_OK;
}

export async function replayLiveHistory(request: HistoryRequest, io: CliIO): Promise<number> {
  const history = await fetchHistory(request, io);
  installRuntime({ logLevel: 'WARN', handleSignals: false });
  // Round-trip through JSON so a live replay sees exactly what an exported file would give.
  const [outcome] = await replayHistories([{ workflowId: request.workflowId, history: historyFromJSON(JSON.parse(historyToJSON(history))) }]);
  return reportReplay(outcome, io);
}

function reportReplay(outcome: ReplayOutcome | undefined, io: CliIO): number {
  if (!outcome) {
    io.stderr.write('Nothing was replayed.\n');
    return EXIT_FAILURE;
  }
  if (outcome.error) {
    io.stderr.write(`Replay of ${outcome.workflowId} FAILED: the workflow code no longer matches its history: ${outcome.error}\n`);
    return EXIT_FAILURE;
  }
  io.stdout.write(`Replayed ${outcome.events} events of ${outcome.workflowId}: the current workflow code is compatible.\n`);
  return EXIT_OK;
}
