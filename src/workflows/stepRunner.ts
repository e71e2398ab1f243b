/**
 * Runs a workflow's steps in order and keeps the bookkeeping every run exposes: the `progress` query
 * (CLI progress, Web UI), the `CitusLabStep` search attribute, and timings for reports.
 * Timestamps come from the workflow clock, so this stays deterministic on replay.
 */
import { setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { LAB_STEP } from '../temporal/searchAttributes.js';
import { failureMessage } from './failureMessage.js';
import { progressQuery, type Progress, type StepState } from './progress.js';

export class StepRunner<Name extends string> {
  private readonly progress: Progress;

  constructor(workflow: string, cluster: string, names: readonly Name[]) {
    this.progress = {
      workflow,
      cluster,
      startedAt: new Date().toISOString(),
      steps: names.map((name) => ({ name, status: 'pending' })),
    };
    setHandler(progressQuery, () => this.progress);
  }

  /** Runs one step; `describe` turns its result into the one-line detail shown in progress and reports. */
  async run<T>(name: Name, fn: () => Promise<T>, describe?: (result: T) => string): Promise<T> {
    const step = this.step(name);
    step.status = 'running';
    step.startedAt = new Date().toISOString();
    this.progress.current = name;
    upsertSearchAttributes([{ key: LAB_STEP, value: name }]);
    try {
      const result = await fn();
      this.finish(step, 'done', describe?.(result));
      return result;
    } catch (err) {
      this.finish(step, 'failed', failureMessage(err));
      throw err;
    }
  }

  /**
   * Runs consecutive steps that one activity does together (for speed: one Temporal round trip);
   * `parts` gives each step's own timing and detail from the result, so progress and reports still
   * show them one by one. Shown as running under the first name meanwhile.
   */
  async runTogether<T>(
    names: readonly Name[],
    fn: () => Promise<T>,
    parts: (result: T) => Partial<Record<Name, { startedAt: number; endedAt: number; detail: string }>>,
  ): Promise<T> {
    const [first] = names;
    if (first === undefined) throw new Error('runTogether needs at least one step'); // programming error
    const steps = names.map((n) => this.step(n));
    const startedAt = new Date().toISOString();
    for (const step of steps) {
      step.status = 'running';
      step.startedAt = startedAt;
    }
    this.progress.current = first;
    upsertSearchAttributes([{ key: LAB_STEP, value: first }]);
    try {
      const result = await fn();
      const timings = parts(result);
      for (const [i, step] of steps.entries()) {
        const part = timings[names[i] as Name];
        this.finish(step, 'done', part?.detail);
        if (part) {
          step.startedAt = new Date(part.startedAt).toISOString();
          step.endedAt = new Date(part.endedAt).toISOString();
          step.durationMs = part.endedAt - part.startedAt;
        }
      }
      return result;
    } catch (err) {
      // Which part failed is in the message; every step of the group shares it.
      for (const step of steps) this.finish(step, 'failed', failureMessage(err));
      throw err;
    }
  }

  /** Live detail of a running step (a long one's progress: moves done, bytes); the CLI shows it. */
  note(name: Name, detail: string): void {
    const step = this.step(name);
    if (step.status === 'running') step.detail = detail;
  }

  skip(name: Name, why: string): void {
    const step = this.step(name);
    step.status = 'skipped';
    step.detail = why;
  }

  steps(): StepState[] {
    return this.progress.steps.map((s) => ({ ...s }));
  }

  elapsedMs(): number {
    return Date.now() - Date.parse(this.progress.startedAt);
  }

  get workflowId(): string {
    return workflowInfo().workflowId;
  }

  private step(name: Name): StepState {
    const step = this.progress.steps.find((s) => s.name === name);
    if (!step) throw new Error(`unknown step ${name}`); // programming error: names are fixed at construction
    return step;
  }

  private finish(step: StepState, status: 'done' | 'failed', detail?: string): void {
    step.status = status;
    step.endedAt = new Date().toISOString();
    step.durationMs = Date.parse(step.endedAt) - Date.parse(step.startedAt ?? step.endedAt);
    if (detail !== undefined) step.detail = detail;
    this.progress.current = undefined;
  }
}
