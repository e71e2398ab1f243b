/**
 * Workflow code must bundle for the deterministic sandbox and pass the lint guard that keeps I/O out.
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowsPath } from '../support/temporal.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

test('the workflows bundle without any Node built-in or side-effect module', async () => {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
  expect(code).toContain('deployLab');
  for (const forbidden of ['node_modules/pg/', 'node_modules/execa/', '@kubernetes/client-node', 'node_modules/zod/']) {
    expect(code).not.toContain(forbidden);
  }
}, 120_000);

describe('lint', () => {
  const eslint = new ESLint({ cwd: repo });

  test('src/workflows has no lint errors (floating promises, forbidden imports)', async () => {
    const results = await eslint.lintFiles(['src/workflows/**/*.ts']);
    const errors = results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath}:${m.line} ${m.message}`));
    expect(errors).toEqual([]);
  }, 120_000);

  test('the guard rejects I/O imports in workflow files (it can fail)', async () => {
    // lintText's file does not exist, so type-aware parsing (and the rules that need it) are off here.
    const untyped = new ESLint({
      cwd: repo,
      overrideConfig: {
        files: ['**/*.ts'],
        languageOptions: { parserOptions: { projectService: false } },
        rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
      },
    });
    const [result] = await untyped.lintText("import { Client } from 'pg';\nimport fs from 'node:fs';\nexport const x = [Client, fs];\n", {
      filePath: `${repo}/src/workflows/notAllowed.ts`,
    });
    const rules = (result?.messages ?? []).map((m) => m.ruleId);
    expect(rules.filter((r) => r === 'no-restricted-imports')).toHaveLength(2);
  }, 120_000);
});
