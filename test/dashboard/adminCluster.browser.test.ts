/**
 * The admin dashboard's cluster card on a real Citus lab (coordinator + 2 workers, schema distributed
 * by the deploy's own activity), in chromium: each worker with the shard placements Citus reports.
 * Runs where both Citus and chromium are installed; otherwise one SKIP line.
 */
import path from 'node:path';
import { buildDashboard } from '../../src/api/dashboard/buildDashboard.js';
import { startCitusAuthApiLab, type AuthApiLab } from '../support/authApiLab.js';
import { chromiumAvailable, launchBrowser, SCREENSHOT_DIR, type TestBrowser } from '../support/browser.js';
import { describeIfCitus } from '../support/citus.js';

const suite = chromiumAvailable() ? describeIfCitus : describe.skip;
if (!chromiumAvailable()) console.log('SKIP admin cluster card in chromium: no chromium (npm run setup installs it)');

suite('admin cluster card on Citus, in chromium', () => {
  let lab: AuthApiLab;
  let browser: TestBrowser;

  beforeAll(async () => {
    const bundle = await buildDashboard(path.join(SCREENSHOT_DIR, '..', 'dashboard-bundle-citus'));
    process.env.CITUS_LAB_DASHBOARD_DIR = bundle.outDir;
    lab = await startCitusAuthApiLab();
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await lab?.close();
    delete process.env.CITUS_LAB_DASHBOARD_DIR;
  });

  test('lists both workers with their shard placements, as pg_dist_placement counts them', async () => {
    const watched = await browser.newPage();
    const { page } = watched;
    await page.goto(`${lab.api.url}/app/login`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(lab.password('admin'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const card = page.getByTestId('admin-cluster');
    try {
      // Generous: a Citus lab, chromium and the rest of the suite share two cores.
      await card.getByText(/^Citus \d+\.\d+/).waitFor({ timeout: 90_000 });
    } catch (err) {
      await watched.screenshot('admin-cluster-citus-failure');
      throw new Error(`no Citus line on the cluster card; page: ${await page.locator('body').innerText()}; problems: ${watched.problems.join('; ')}`, { cause: err });
    }

    const { rows } = await lab.db.query<{ node: string; shards: string }>(
      `SELECT n.nodename || ':' || n.nodeport AS node, count(p.placementid) AS shards
         FROM pg_dist_node n LEFT JOIN pg_dist_placement p ON p.groupid = n.groupid
        WHERE n.groupid <> 0 GROUP BY 1`,
    );
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      const cells = card.locator(`tr[data-node="${row.node}"] td`);
      await cells.first().waitFor();
      expect(await cells.nth(1).textContent()).toBe('worker');
      expect(await cells.nth(4).textContent()).toBe(row.shards);
      expect(Number(row.shards)).toBeGreaterThan(0);
    }
    await watched.screenshot('admin-cluster-citus');
    console.log(`dashboard screenshot: ${path.join(SCREENSHOT_DIR, 'admin-cluster-citus.png')}`);
    expect(watched.problems).toEqual([]);
  }, 180_000);
});
