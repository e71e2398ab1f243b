/**
 * Platform settings come from CITUS_LAB_* environment variables with typed defaults. They are parsed
 * with zod once per environment object; an empty variable counts as unset.
 */
import { type z } from 'zod';
import { LabError } from '../errors.js';

export function settingsFromEnv<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
  names: readonly string[],
): z.infer<S> {
  const raw = Object.fromEntries(names.map((name) => [name, env[name] === '' ? undefined : env[name]]));
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    return `${name}=${JSON.stringify(raw[name] ?? '')}: ${issue.message}`;
  });
  throw new LabError('ConfigInvalid', `Invalid platform setting ${problems.join('; ')}: fix or unset the variable.`);
}
