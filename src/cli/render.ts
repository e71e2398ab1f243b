/**
 * Progress rendering on stderr (stdout stays clean for --json): one live line on a terminal, one line
 * per step transition anywhere else (CI logs, pipes, tests).
 */
import type { Progress, StepState } from '../workflows/progress.js';

export interface ProgressRenderer {
  update(progress: Progress): void;
  /** An info line that must not be overwritten by the live line. */
  note(line: string): void;
  finish(): void;
}

export interface TextSink {
  write(text: string): unknown;
}

export function createProgressRenderer(stream: TextSink & { isTTY?: boolean }, now: () => number = Date.now): ProgressRenderer {
  return stream.isTTY ? new LiveLineRenderer(stream, now) : new TransitionRenderer(stream);
}

const CLEAR_LINE = '\r\x1b[2K';

export class LiveLineRenderer implements ProgressRenderer {
  private line = '';

  constructor(
    private readonly stream: TextSink,
    private readonly now: () => number = Date.now,
  ) {}

  update(progress: Progress): void {
    this.line = liveLine(progress, this.now());
    this.stream.write(`${CLEAR_LINE}${this.line}`);
  }

  note(line: string): void {
    this.stream.write(`${CLEAR_LINE}${line}\n${this.line}`);
  }

  finish(): void {
    if (this.line) this.stream.write(CLEAR_LINE);
    this.line = '';
  }
}

/** `[3/8] wait-ready (12.4s elapsed)` for the running step, else where the run stands. */
export function liveLine(progress: Progress, now: number): string {
  const total = progress.steps.length;
  const index = progress.steps.findIndex((s) => s.status === 'running');
  const step = progress.steps[index];
  if (step) {
    const started = step.startedAt ? Date.parse(step.startedAt) : NaN;
    const elapsed = Number.isNaN(started) ? '' : ` (${seconds(Math.max(0, now - started))} elapsed)`;
    // A long step may report its own progress (moves done, bytes) as the running step's detail.
    return `[${index + 1}/${total}] ${step.name}${elapsed}${step.detail ? `: ${step.detail}` : ''}`;
  }
  const finished = progress.steps.filter((s) => s.status !== 'pending').length;
  return `[${finished}/${total}] ${finished === total ? 'finishing' : 'waiting for the next step'}`;
}

export class TransitionRenderer implements ProgressRenderer {
  private readonly seen = new Map<string, StepState['status']>();
  private readonly details = new Map<string, string>();

  constructor(private readonly stream: TextSink) {}

  update(progress: Progress): void {
    for (const line of transitionLines(progress, this.seen)) this.stream.write(`${line}\n`);
    for (const line of runningDetailLines(progress, this.details)) this.stream.write(`${line}\n`);
  }

  note(line: string): void {
    this.stream.write(`${line}\n`);
  }

  finish(): void {}
}

/** Lines for every step whose status changed since `seen` (which it updates). */
export function transitionLines(progress: Progress, seen: Map<string, StepState['status']>): string[] {
  const total = progress.steps.length;
  const lines: string[] = [];
  progress.steps.forEach((step, i) => {
    const before = seen.get(step.name) ?? 'pending';
    if (before === step.status) return;
    seen.set(step.name, step.status);
    const label = `step ${i + 1}/${total} ${step.name}`;
    const took = step.durationMs === undefined ? '' : ` in ${seconds(step.durationMs)}`;
    const detail = step.detail ? `: ${step.detail}` : '';
    switch (step.status) {
      case 'running':
        lines.push(`${label} started`);
        break;
      case 'done':
        lines.push(`${label} done${took}${detail}`);
        break;
      case 'failed':
        lines.push(`${label} failed${step.durationMs === undefined ? '' : ` after ${seconds(step.durationMs)}`}${detail}`);
        break;
      case 'skipped':
        lines.push(`${label} skipped${detail}`);
        break;
      case 'pending':
        break;
    }
  });
  return lines;
}

/** `step 6/9 move-shards: 5/16 moves ...` whenever a running step's own progress detail changes. */
export function runningDetailLines(progress: Progress, seen: Map<string, string>): string[] {
  const total = progress.steps.length;
  const lines: string[] = [];
  progress.steps.forEach((step, i) => {
    if (step.status !== 'running' || !step.detail || seen.get(step.name) === step.detail) return;
    seen.set(step.name, step.detail);
    lines.push(`step ${i + 1}/${total} ${step.name}: ${step.detail}`);
  });
  return lines;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
