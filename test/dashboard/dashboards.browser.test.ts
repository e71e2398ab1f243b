/**
 * The dashboards in a real browser (Debian's chromium through playwright-core) against the real API
 * on plain PostgreSQL, with the accounts deploy creates: each role logs in with its generated
 * password, sees its own dashboard and a refusal on everyone else's; the practitioner records an
 * observation, the patient sees it on their page, the auditor sees the patient's read in the trail.
 * Any console error or page error fails the test. Screenshots: test-output/screenshots/.
 */
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildDashboard } from '../../src/api/dashboard/buildDashboard.js';
import { LAB_CLUSTER, LAB_ENV } from '../../src/temporal/searchAttributes.js';
import { labWorkflowId } from '../../src/workflows/inputs.js';
import { startPlainAuthApiLab, type AuthApiLab } from '../support/authApiLab.js';
import { chromiumAvailable, launchBrowser, SCREENSHOT_DIR, type TestBrowser, type WatchedPage } from '../support/browser.js';
import { connectTemporal, type TestTemporal } from '../support/temporal.js';

const ROLES = ['admin', 'practitioner', 'patient', 'auditor'] as const;
type Role = (typeof ROLES)[number];

const describeIfChromium = chromiumAvailable() ? describe : describe.skip;
if (!chromiumAvailable()) console.log(`SKIP dashboard browser tests: no chromium at ${process.env.CITUS_LAB_CHROMIUM ?? '/usr/bin/chromium'} (npm run setup installs it)`);

describeIfChromium('dashboards in chromium', () => {
  let lab: AuthApiLab;
  let browser: TestBrowser;
  let temporal: TestTemporal;
  let patientId: string;
  const deployId = () => labWorkflowId(lab.lab.spec, 'deploy');
  const pages: WatchedPage[] = [];
  const screenshots: string[] = [];
  // A heart rate no sample row has (one decimal above 150), so finding it proves it is the one recorded here.
  const recorded = (150.1 + (randomBytes(1)[0] ?? 0) / 10).toFixed(1);

  beforeAll(async () => {
    // The bundle the server serves, built the way setup builds it (into this run's own directory).
    const bundle = await buildDashboard(path.join(SCREENSHOT_DIR, '..', 'dashboard-bundle'));
    process.env.CITUS_LAB_DASHBOARD_DIR = bundle.outDir;
    lab = await startPlainAuthApiLab(20);
    const { rows } = await lab.db.query<{ documento_id: string }>("SELECT documento_id::text FROM api_users WHERE username = 'patient'");
    patientId = rows[0]?.documento_id ?? '';
    // An open deploy run of this lab (nobody polls its task queue) for the admin's cluster card.
    temporal = await connectTemporal();
    await temporal.client.workflow.start('deployLab', {
      taskQueue: `nobody-polls-${lab.lab.spec.cluster}`,
      workflowId: deployId(),
      args: [],
      typedSearchAttributes: [
        { key: LAB_ENV, value: lab.lab.spec.env },
        { key: LAB_CLUSTER, value: lab.lab.spec.cluster },
      ],
    });
    browser = await launchBrowser();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await temporal?.client.workflow.getHandle(deployId()).terminate('test over').catch(() => undefined);
    await temporal?.close();
    await lab?.close();
    delete process.env.CITUS_LAB_DASHBOARD_DIR;
    if (screenshots.length) console.log(`dashboard screenshots:\n${screenshots.join('\n')}`);
  });

  afterEach(() => {
    // Every page of the test, console errors and page errors included, must have been clean.
    const problems = pages.splice(0).flatMap((p) => p.problems);
    expect(problems).toEqual([]);
  });

  async function open(): Promise<WatchedPage> {
    const watched = await browser.newPage();
    pages.push(watched);
    return watched;
  }

  async function shoot(watched: WatchedPage, name: string): Promise<void> {
    screenshots.push(await watched.screenshot(name));
  }

  async function login(role: Role): Promise<WatchedPage> {
    const watched = await open();
    const { page } = watched;
    await page.goto(`${lab.api.url}/app/`);
    await page.waitForURL('**/app/login');
    await page.getByLabel('Username').fill(role);
    await page.getByLabel('Password').fill(lab.password(role));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`**/app/${role}`);
    await page.getByTestId(`dashboard-${role}`).waitFor();
    expect(await page.getByTestId('who').textContent()).toContain(`${role} · ${role}`);
    return watched;
  }

  /** A typed-in URL of each other role's dashboard: a refusal, and none of that dashboard. */
  async function refusedElsewhere(watched: WatchedPage, role: Role): Promise<void> {
    const { page } = watched;
    for (const other of ROLES.filter((r) => r !== role)) {
      await page.goto(`${lab.api.url}/app/${other}`);
      await page.getByTestId('refusal').waitFor();
      expect(await page.getByTestId('refusal').textContent()).toContain(`only for users with the ${other} role`);
      expect(await page.getByTestId(`dashboard-${other}`).count()).toBe(0);
      if (other === 'admin') await shoot(watched, `${role}-refused-admin`);
    }
    // Back on its own page after reloads: the session survived them (refresh token in sessionStorage).
    await page.goto(`${lab.api.url}/app/${role}`);
    await page.getByTestId(`dashboard-${role}`).waitFor();
  }

  test('a wrong password is refused on the login page', async () => {
    const watched = await open();
    const { page } = watched;
    await page.goto(`${lab.api.url}/app/login`);
    await page.getByLabel('Username').fill('auditor');
    await page.getByLabel('Password').fill('not-the-password');
    // The server's 401 is what the browser logs as a failed resource: expected here, so not a problem.
    const answered = page.waitForResponse('**/auth/login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect((await answered).status()).toBe(401);
    expect(await page.getByRole('alert').textContent()).toContain('invalid username or password');
    await shoot(watched, 'login-refused');
    pages.splice(0).forEach((p) => p.problems.splice(0).forEach((text) => expect(text).toMatch(/401/)));
  });

  test('practitioner: finds the patient, sees the record with its chart, records an observation', async () => {
    const watched = await login('practitioner');
    const { page } = watched;
    // By family name first (a starts-with search), then by id.
    const { rows: names } = await lab.db.query<{ apellido: string }>('SELECT apellido FROM pacientes WHERE documento_id = $1', [patientId]);
    await page.getByLabel('Find a patient (name or id)').fill(names[0]?.apellido ?? '?');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator(`button[data-patient="${patientId}"]`).waitFor();
    await page.getByLabel('Find a patient (name or id)').fill(patientId);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator(`button[data-patient="${patientId}"]`).click();
    await page.getByTestId('patient-record').waitFor();
    await page.getByTestId('observation-chart').locator('canvas').waitFor();
    await page.getByLabel('Measure').selectOption('8867-4');
    await page.getByLabel('Value').fill(recorded);
    await page.getByRole('button', { name: 'Record' }).click();
    await page.getByText(`Recorded Heart rate: ${Number(recorded)} /min.`).waitFor();
    await page.getByRole('cell', { name: `${Number(recorded)} /min` }).waitFor();
    await shoot(watched, 'practitioner-recorded-observation');
    const { rows } = await lab.db.query("SELECT 1 FROM observaciones WHERE documento_id = $1 AND codigo = '8867-4' AND valor = $2", [patientId, Number(recorded)]);
    expect(rows).toHaveLength(1);
    await refusedElsewhere(watched, 'practitioner');
  });

  test('patient: sees their own record with the new observation, read-only', async () => {
    const watched = await login('patient');
    const { page } = watched;
    const record = page.getByTestId('patient-record');
    await record.waitFor();
    expect(await record.getAttribute('data-patient')).toBe(patientId);
    await page.getByRole('cell', { name: `${Number(recorded)} /min` }).waitFor();
    await page.getByTestId('observation-chart').locator('canvas').waitFor();
    expect(await page.getByRole('form', { name: 'Record an observation' }).count()).toBe(0);
    await shoot(watched, 'patient-own-record');
    await refusedElsewhere(watched, 'patient');
  });

  test("auditor: the trail shows the patient's read of their record and the practitioner's write", async () => {
    const watched = await login('auditor');
    const { page } = watched;
    await page.getByLabel('Patient id').fill(patientId);
    await page.getByLabel('Agent (user)').fill('patient');
    // $everything is an operation: FHIR audits it as action E (execute).
    await page.getByLabel('Action').selectOption('E');
    await page.getByRole('button', { name: 'Filter' }).click();
    const patientReads = page.locator('tr[data-agent="patient"][data-action="E"]');
    await patientReads.first().waitFor();
    expect(await patientReads.first().textContent()).toContain(`/Patient/${patientId}/$everything`);
    expect(await page.locator('[data-testid="audit-table"] tbody tr:not([data-agent="patient"])').count()).toBe(0);
    await shoot(watched, 'auditor-patient-reads');
    await page.getByLabel('Agent (user)').fill('practitioner');
    await page.getByLabel('Action').selectOption('C');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('tr[data-agent="practitioner"][data-action="C"]').first().waitFor();
    await refusedElsewhere(watched, 'auditor');
  });

  test('admin: users and roles, API keys, the cluster with the last deploy run linked into the Temporal UI; logout', async () => {
    const watched = await login('admin');
    const { page } = watched;
    for (const role of ROLES) await page.locator(`[data-testid="admin-users"] tr[data-user="${role}"]`).waitFor();
    await page.getByLabel('Key name').fill('dashboard-test');
    await page.getByLabel('For user').fill('auditor');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('Key dashboard-test for auditor, shown once:').waitFor();
    await page.getByRole('cell', { name: 'dashboard-test' }).waitFor();
    const cluster = page.getByTestId('admin-cluster');
    await cluster.getByText('Plain PostgreSQL').waitFor();
    const link = page.getByTestId('admin-runs').getByRole('link', { name: deployId() });
    await link.waitFor();
    expect(await link.getAttribute('href')).toMatch(new RegExp(`/namespaces/default/workflows/${deployId()}/[0-9a-f-]+/history$`));
    await shoot(watched, 'admin-dashboard');
    await refusedElsewhere(watched, 'admin');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/app/login');
    // The refresh token is gone from the tab and revoked on the server: a reload stays logged out.
    await page.goto(`${lab.api.url}/app/admin`);
    await page.waitForURL('**/app/login');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });
});
