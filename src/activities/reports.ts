/**
 * Reports, as the seed lab wrote them: a timestamped JSON (`<kind>_report_<ts>.json`), a Markdown
 * summary for people (`RESULTADOS_<KIND>_<ts>.md`) and a `<kind>_report.json` that is always the latest.
 * Nothing secret is written: keys that name secrets are masked and the lab password never appears.
 */
import fs from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { assertUsableDataDir, ensureDir } from '../config/dataDir.js';
import type { LabSpec } from '../config/labSpec.js';
import { LabError } from '../errors.js';
import type { ActivityDeps } from './index.js';
import type { CheckResult, ReportInput, ReportPaths } from './results.js';

const REPORT_KIND = /^[a-z][a-z0-9-]{0,30}$/;
const SECRET_KEY = /password|passwd|pgpass|secret|token|credential/i;
const MASK = '***';

export function defaultReportsDir(spec: Pick<LabSpec, 'dataDir' | 'cluster'>): string {
  return path.join(spec.dataDir, spec.cluster, 'reports');
}

/** `20261123_143000` in UTC: sortable, and the same whatever the machine's time zone. */
export function reportTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
}

export interface PassRate {
  passed: number;
  total: number;
  percent: number;
}

export function passRate(checks: readonly CheckResult[] = []): PassRate {
  const passed = checks.filter((c) => c.status === 'PASS').length;
  const total = checks.length;
  return { passed, total, percent: total ? Math.round((passed / total) * 1000) / 10 : 0 };
}

/** Masks values under secret-looking keys and every occurrence of the known secrets. */
function redact(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return secrets.reduce((s, secret) => s.split(secret).join(MASK), value);
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? MASK : redact(v, secrets)]),
    );
  }
  return value;
}

function cell(value: unknown): string {
  return String(value ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function renderMarkdown(report: ReturnType<typeof buildReport>): string {
  const icon = report.status === 'PASS' ? '✅' : '❌';
  const lines = [
    `# ${report.title}`,
    '',
    `- **Cluster:** ${report.cluster} (${report.env})`,
    `- **Status:** ${icon} ${report.status}`,
    `- **Generated:** ${report.generatedAt}`,
    '',
    '## Summary',
    '',
    '| Item | Value |',
    '| --- | --- |',
    ...Object.entries(report.summary).map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`),
    '',
  ];
  if (report.checks.length) {
    const rate = report.passRate;
    lines.push(
      `## Checks: ${rate.passed}/${rate.total} passed (${rate.percent}%)`,
      '',
      '| # | Check | Status | Duration | Message |',
      '| --- | --- | --- | --- | --- |',
      ...report.checks.map(
        (c, i) =>
          `| ${i + 1} | ${cell(c.name)} | ${c.status === 'PASS' ? '✅' : '❌'} ${c.status} | ${duration(c.durationMs)} | ${cell(c.message)} |`,
      ),
      '',
    );
  }
  if (report.steps.length) {
    lines.push(
      '## Steps',
      '',
      '| Step | Status | Duration | Detail |',
      '| --- | --- | --- | --- |',
      ...report.steps.map((s) => `| ${cell(s.name)} | ${cell(s.status)} | ${duration(s.durationMs)} | ${cell(s.detail)} |`),
      '',
    );
  }
  return lines.join('\n');
}

function buildReport(spec: LabSpec, input: ReportInput, generatedAt: Date) {
  return {
    kind: input.kind,
    title: input.title,
    status: input.status,
    cluster: spec.cluster,
    env: spec.env,
    generatedAt: generatedAt.toISOString(),
    passRate: passRate(input.checks),
    summary: input.summary,
    checks: input.checks ?? [],
    steps: input.steps ?? [],
    data: input.data,
  };
}

/** Writes through a temporary file so a reader never sees half a report. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text, { mode: 0o644 });
  await fs.rename(tmp, file);
}

export async function writeReport(
  spec: LabSpec,
  input: ReportInput,
  options: { dir: string; secrets?: readonly string[]; now?: Date },
): Promise<ReportPaths> {
  if (!REPORT_KIND.test(input.kind)) {
    throw new LabError(
      'ConfigInvalid',
      `report kind ${JSON.stringify(input.kind)} is not a short lowercase name: use letters, digits and dashes (e.g. verify).`,
    );
  }
  const now = options.now ?? new Date();
  // Very short strings would mask ordinary words; generated passwords are long.
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 8);
  const report = redact(buildReport(spec, input, now), secrets) as ReturnType<typeof buildReport>;
  const stamp = reportTimestamp(now);
  ensureDir(options.dir);
  const json = path.join(options.dir, `${input.kind}_report_${stamp}.json`);
  const markdown = path.join(options.dir, `RESULTADOS_${input.kind.toUpperCase().replace(/-/g, '_')}_${stamp}.md`);
  const jsonText = `${JSON.stringify(report, null, 2)}\n`;
  await writeAtomically(json, jsonText);
  await writeAtomically(markdown, renderMarkdown(report));
  await writeAtomically(path.join(options.dir, `${input.kind}_report.json`), jsonText);
  return { json, markdown };
}

/** A failure report that was not written, and why. */
export interface SkippedReport {
  skipped: string;
}

/**
 * Where a failure report may go: only into a lab directory that already exists and can hold files.
 * A run that failed before the lab had a directory (bad data dir, nothing deployed) leaves no trace
 * on disk; its failure is in Temporal's history and the CLI's message.
 */
export function failureReportProblem(reportsDir: string, spec: Pick<LabSpec, 'env' | 'dataDir'>): string | undefined {
  // Compose and Minikube labs live in Docker or Kubernetes: their directory here holds only reports,
  // so it may not exist yet when a first deploy fails. A usable data dir is enough for those.
  if (spec.env !== 'local') return problemOf(() => assertUsableDataDir(spec.dataDir));
  const labDir = path.dirname(reportsDir);
  if (!existsSync(labDir)) return `${labDir} does not exist`;
  return problemOf(() => {
    if (!statSync(labDir).isDirectory()) throw new Error(`${labDir} is not a directory`);
    assertUsableDataDir(labDir);
  });
}

function problemOf(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export function createReportActivities(deps: ActivityDeps) {
  const reportsDir = (spec: LabSpec) => deps.reportsDir?.(spec) ?? defaultReportsDir(spec);
  return {
    async writeReport(spec: LabSpec, input: ReportInput): Promise<ReportPaths> {
      return writeReport(spec, input, { dir: reportsDir(spec), secrets: await labSecrets(deps, spec) });
    },
    /** The FAIL report of a failed run: best effort, never creates the lab's directory (failureReport.ts). */
    async writeFailureReport(spec: LabSpec, input: ReportInput): Promise<ReportPaths | SkippedReport> {
      const dir = reportsDir(spec);
      const problem = failureReportProblem(dir, spec);
      if (problem) return { skipped: `no failure report: ${problem}` };
      return writeReport(spec, input, { dir, secrets: await labSecrets(deps, spec) });
    },
  };
}

/** The lab password, to mask it wherever it might have slipped into report data; none if unknown yet. */
async function labSecrets(deps: ActivityDeps, spec: LabSpec): Promise<string[]> {
  try {
    const { password } = await (await deps.environmentFor(spec)).credentials();
    return [password];
  } catch {
    return [];
  }
}
