/** `npm run build:dashboard`: bundles the dashboard into dist/dashboard (run by setup and the tests). */
import { buildDashboard } from './buildDashboard.js';

const { outDir, bytes } = await buildDashboard(process.argv[2]);
process.stderr.write(`dashboard: bundled ${Math.round(bytes / 1024)} KiB into ${outDir}\n`);
