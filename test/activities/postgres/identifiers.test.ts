import { assertIdentifier, quoteIdentifier } from '../../../src/activities/postgres/identifiers.js';
import { createPostgresActivities } from '../../../src/activities/postgres/index.js';
import { parseLabSpec } from '../../../src/config/labSpec.js';
import { LabError } from '../../../src/errors.js';
import { LocalEnvironment } from '../../../src/environments/local/localEnvironment.js';

describe('SQL identifiers', () => {
  test('plain lowercase names are quoted', () => {
    expect(quoteIdentifier('hce_distribuida')).toBe('"hce_distribuida"');
    expect(quoteIdentifier('_t1')).toBe('"_t1"');
    expect(assertIdentifier('a'.repeat(63))).toBe('a'.repeat(63));
  });

  test.each([
    ['an injection attempt', 'x"; DROP DATABASE postgres; --'],
    ['upper case', 'Pacientes'],
    ['a leading digit', '1abc'],
    ['a dot', 'public.pacientes'],
    ['the empty string', ''],
    ['64 characters', 'a'.repeat(64)],
  ])('%s is refused with InvalidIdentifier', (_what, name) => {
    let caught: unknown;
    try {
      quoteIdentifier(name, 'database name');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LabError);
    expect(caught).toMatchObject({ type: 'InvalidIdentifier', nonRetryable: true });
    expect((caught as LabError).message).toMatch(/^database name .* is not a plain SQL identifier: use lowercase/);
  });

  test('an activity refuses a bad database name before connecting anywhere', async () => {
    // A spec that skipped validation (e.g. hand-edited workflow input): the activity must still refuse it.
    const spec = { ...parseLabSpec({ dataDir: '/nonexistent/citus-lab', basePort: 1025 }), database: 'bad"name' };
    const activities = createPostgresActivities({ environmentFor: (s) => new LocalEnvironment(s) });
    await expect(activities.ensureDatabaseAndExtension(spec, 'coordinator')).rejects.toMatchObject({
      type: 'InvalidIdentifier',
    });
  });
});
