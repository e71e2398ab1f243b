// Lint: type-aware promise rules everywhere, plus a determinism guard for workflow code.
import tseslint from 'typescript-eslint';

const sideEffectModules = ['pg', 'pg-copy-streams', 'execa', '@kubernetes/client-node', '@temporalio/activity', '@temporalio/client', '@temporalio/worker'];
const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2',
  'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'timers', 'tls', 'url', 'util', 'v8', 'vm',
  'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', 'bin/**', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed: no I/O, no clocks or randomness outside the SDK's sandbox. The patterns
    // start with ** so they hold in workflow subfolders too (drill/, failover/, rebalance/).
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...sideEffectModules, ...nodeBuiltins, ...nodeBuiltins.map((m) => `node:${m}`)].map((name) => ({
            name,
            message: 'Workflow code must stay deterministic: do this in an activity.',
            allowTypeImports: true,
          })),
          patterns: [
            { group: ['**/activities/**', '!**/activities/index.js', '!**/activities/results.js'], message: 'Workflows use activities through proxyActivities only.', allowTypeImports: true },
            { group: ['**/config/labSpec.js'], message: 'labSpec pulls in zod and node:path: import its types only.', allowTypeImports: true },
            { group: ['**/environments/local/**', '**/environments/index.js'], message: 'Workflows never see the platform.', allowTypeImports: true },
            { group: ['**/api/**', '**/src/api/**'], message: 'The FHIR API is its own runtime: workflows reach it through activities only.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' }],
    },
  },
);
