import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createReportActivities, reportTimestamp } from '../../src/activities/reports.js';
import type { ReportInput } from '../../src/activities/results.js';
import { parseLabSpec, type LabSpec } from '../../src/config/labSpec.js';
import { LocalEnvironment } from '../../src/environments/local/localEnvironment.js';
import { ensurePassword } from '../../src/environments/local/secrets.js';

let dataDir: string;
let spec: LabSpec;
let password: string;

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citus-lab-reports-'));
  spec = parseLabSpec({ env: 'local', cluster: 'repo', dataDir });
  // The lab's real password file, as provisioning writes it: the report writer must never leak it.
  password = ensurePassword(new LocalEnvironment(spec).layout);
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const input = (): ReportInput => ({
  kind: 'verify',
  title: 'Verification of lab repo',
  status: 'FAIL',
  summary: { workers: 2, patients: 100, 'host | port': '127.0.0.1:15432', citus: true },
  checks: [
    { name: 'citus extension', status: 'PASS', message: 'citus 13.2-1', durationMs: 12 },
    { name: 'active workers', status: 'PASS', message: '2 of 2 workers active', durationMs: 8 },
    { name: 'pacientes count', status: 'FAIL', message: '99 rows in pacientes,\nexpected 100', durationMs: 1500 },
  ],
  steps: [
    { name: 'waitForNodes', status: 'done', durationMs: 250 },
    { name: 'runVerification', status: 'failed', durationMs: 2300, detail: 'one check failed' },
  ],
  data: { connection: { user: 'postgres', password }, note: `leaked ${password} here`, dsnPassword: 'x' },
});

describe('writeReport', () => {
  test('writes timestamped JSON and Markdown plus a latest copy under <dataDir>/<cluster>/reports', async () => {
    const before = reportTimestamp(new Date());
    const activities = createReportActivities({ environmentFor: (s) => new LocalEnvironment(s) });
    const paths = await activities.writeReport(spec, input());

    const dir = path.join(dataDir, 'repo', 'reports');
    expect(path.dirname(paths.json)).toBe(dir);
    expect(path.basename(paths.json)).toMatch(/^verify_report_\d{8}_\d{6}\.json$/);
    expect(path.basename(paths.markdown)).toMatch(/^RESULTADOS_VERIFY_\d{8}_\d{6}\.md$/);
    expect(path.basename(paths.json).slice(14, 29) >= before).toBe(true);

    const json = JSON.parse(fs.readFileSync(paths.json, 'utf8'));
    expect(json).toMatchObject({
      kind: 'verify',
      status: 'FAIL',
      cluster: 'repo',
      env: 'local',
      passRate: { passed: 2, total: 3, percent: 66.7 },
      summary: { workers: 2, patients: 100 },
    });
    expect(json.checks).toHaveLength(3);
    expect(Number.isNaN(Date.parse(json.generatedAt))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'verify_report.json'), 'utf8')).toBe(fs.readFileSync(paths.json, 'utf8'));

    const md = fs.readFileSync(paths.markdown, 'utf8');
    expect(md).toContain('# Verification of lab repo');
    expect(md).toContain('| Item | Value |');
    expect(md).toContain('| workers | 2 |');
    expect(md).toContain('| host \\| port | 127.0.0.1:15432 |');
    expect(md).toContain('## Checks: 2/3 passed (66.7%)');
    expect(md).toMatch(/\| 3 \| pacientes count \| ❌ FAIL \| 1\.5 s \| 99 rows in pacientes, expected 100 \|/);
    expect(md).toMatch(/\| runVerification \| failed \| 2\.3 s \| one check failed \|/);
    expect(md).toMatch(/\| waitForNodes \| done \| 250 ms \|/);
  });

  test('never writes the password', async () => {
    const reportsDir = fs.mkdtempSync(path.join(dataDir, 'custom-'));
    const activities = createReportActivities({
      environmentFor: (s) => new LocalEnvironment(s),
      reportsDir: () => reportsDir,
    });
    const paths = await activities.writeReport(spec, input());
    expect(path.dirname(paths.json)).toBe(reportsDir);
    for (const file of fs.readdirSync(reportsDir)) {
      const text = fs.readFileSync(path.join(reportsDir, file), 'utf8');
      expect(text).not.toContain(password);
    }
    const json = JSON.parse(fs.readFileSync(paths.json, 'utf8'));
    expect(json.data).toEqual({ connection: { user: 'postgres', password: '***' }, note: 'leaked *** here', dsnPassword: '***' });
  });

  test('refuses a kind that is not a plain file name', async () => {
    const activities = createReportActivities({ environmentFor: (s) => new LocalEnvironment(s) });
    await expect(activities.writeReport(spec, { ...input(), kind: '../../etc/x' })).rejects.toMatchObject({
      type: 'ConfigInvalid',
    });
  });
});

describe('writeFailureReport', () => {
  test('writes into an existing lab directory, like writeReport', async () => {
    const activities = createReportActivities({ environmentFor: (s) => new LocalEnvironment(s) });
    const paths = await activities.writeFailureReport(spec, input());
    expect('json' in paths && fs.existsSync(paths.json)).toBe(true);
  });

  test('skips a lab that has no directory, creating nothing', async () => {
    const empty = fs.mkdtempSync(path.join(dataDir, 'empty-'));
    const ghost = parseLabSpec({ env: 'local', cluster: 'ghost', dataDir: empty });
    const activities = createReportActivities({ environmentFor: (s) => new LocalEnvironment(s) });
    await expect(activities.writeFailureReport(ghost, input())).resolves.toEqual({
      skipped: `no failure report: ${path.join(empty, 'ghost')} does not exist`,
    });
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  test('skips a data dir under /proc at once instead of looping in mkdir', async () => {
    const proc = parseLabSpec({ env: 'local', cluster: 'lab', dataDir: '/proc/nope' });
    const activities = createReportActivities({ environmentFor: (s) => new LocalEnvironment(s) });
    await expect(activities.writeFailureReport(proc, input())).resolves.toEqual({ skipped: 'no failure report: /proc/nope/lab does not exist' });
    // writeReport itself refuses it too, rather than hang.
    await expect(activities.writeReport(proc, input())).rejects.toMatchObject({ type: 'DataDirUnusable' });
  });
});
