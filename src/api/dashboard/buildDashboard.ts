/**
 * Bundles the browser dashboard (src/dashboard: Preact + Chart.js) with esbuild into one directory
 * the API serves at /app/: index.html, assets/main.js, assets/main.css. Everything comes from
 * node_modules, so the page needs nothing from outside the machine (no CDN).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const DASHBOARD_SOURCE_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));
/** dist/ is git-ignored: the bundle is built by `npm run setup` (and the tests), never committed. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../../dist/dashboard/', import.meta.url));

export interface DashboardBuild {
  readonly outDir: string;
  /** Size of what the browser loads (JS + CSS), source maps left out. */
  readonly bytes: number;
}

export class DashboardBuildError extends Error {
  override readonly name = 'DashboardBuildError';
}

export async function buildDashboard(outDir: string = DEFAULT_DASHBOARD_DIR): Promise<DashboardBuild> {
  const assets = path.join(outDir, 'assets');
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(assets, { recursive: true });
  const result = await build({
    entryPoints: [path.join(DASHBOARD_SOURCE_DIR, 'main.tsx')],
    outdir: assets,
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(DASHBOARD_SOURCE_DIR, 'tsconfig.json'),
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
    metafile: true,
  }).catch((err: unknown) => {
    throw new DashboardBuildError(`the dashboard does not bundle: ${err instanceof Error ? err.message : String(err)}`);
  });
  fs.copyFileSync(path.join(DASHBOARD_SOURCE_DIR, 'index.html'), path.join(outDir, 'index.html'));
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([file]) => !file.endsWith('.map'))
    .reduce((sum, [, o]) => sum + o.bytes, 0);
  return { outDir, bytes };
}
