/**
 * Replays recorded histories against workflow code: the proof that a change to workflow code keeps
 * every old run replayable (see README, "Changing workflow code"). Used by `history replay` and tests.
 */
import type { temporal } from '@temporalio/proto';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { LAB_WORKFLOWS_PATH } from './labWorker.js';

type History = temporal.api.history.v1.IHistory;

export interface ReplayOutcome {
  workflowId: string;
  events: number;
  /** The determinism error (or other replay failure), when the code no longer matches the history. */
  error?: string;
}

export type ReplayCode = Pick<ReplayWorkerOptions, 'workflowsPath' | 'workflowBundle'>;

export async function replayHistories(
  histories: Array<{ workflowId: string; history: History }>,
  code: ReplayCode = { workflowsPath: LAB_WORKFLOWS_PATH },
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  const results = Worker.runReplayHistories({ ...code, replayName: 'citus-lab-replay' }, histories);
  // Results come back one per history, in order; ids alone are ambiguous (one id, several runs).
  for await (const result of results) {
    const replayed = histories[outcomes.length];
    outcomes.push({
      workflowId: result.workflowId,
      events: replayed?.history.events?.length ?? 0,
      ...(result.error ? { error: result.error.message } : {}),
    });
  }
  return outcomes;
}
