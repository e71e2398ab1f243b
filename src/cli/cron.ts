/**
 * Checks a cron expression before anything is sent to Temporal: the five standard fields (minute hour
 * day-of-month month day-of-week) with `*`, values, ranges, lists, steps and month/day names, or one of
 * the @hourly/@daily/... shorthands. A bad expression is refused with one sentence saying which field
 * is wrong and why.
 */
import { UsageError } from './errors.js';

interface FieldRule {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const FIELDS: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 7 is Sunday too, as in most crons.
  { name: 'day-of-week', min: 0, max: 7, names: DAYS },
];

const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FORMAT = 'use five fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * *" for 03:00 every day';

class CronError extends Error {}

function value(text: string, rule: FieldRule): number {
  const lower = text.toLowerCase();
  const named = rule.names?.indexOf(lower) ?? -1;
  if (named >= 0) return rule.names === MONTHS ? named + 1 : named;
  if (!/^\d{1,2}$/.test(text)) {
    const names = rule.names ? ` or a name (${rule.names.join(', ')})` : '';
    throw new CronError(`${rule.name} ${JSON.stringify(text)} is not a number${names}`);
  }
  const n = Number(text);
  if (n < rule.min || n > rule.max) throw new CronError(`${rule.name} ${n} is out of range ${rule.min}-${rule.max}`);
  return n;
}

function checkPart(part: string, rule: FieldRule): void {
  const [range, step, extra] = part.split('/');
  if (extra !== undefined || range === undefined || range === '') throw new CronError(`${rule.name} ${JSON.stringify(part)} is malformed`);
  if (step !== undefined) {
    if (!/^\d{1,2}$/.test(step) || Number(step) === 0) throw new CronError(`${rule.name} step ${JSON.stringify(step)} must be a whole number from 1`);
  }
  if (range === '*') return;
  const bounds = range.split('-');
  if (bounds.length > 2 || bounds.some((b) => b === '')) throw new CronError(`${rule.name} ${JSON.stringify(range)} is malformed`);
  const [from, to] = bounds.map((b) => value(b, rule)) as [number, number | undefined];
  if (to !== undefined && to < from) throw new CronError(`${rule.name} range ${range} runs backwards`);
}

/** The expression as Temporal gets it (whitespace normalised, shorthands expanded); throws UsageError. */
export function parseCron(expression: string): string {
  const trimmed = expression.trim().replace(/\s+/g, ' ');
  const expanded = SHORTHANDS[trimmed.toLowerCase()] ?? trimmed;
  const fields = expanded.split(' ');
  const prefix = `cron ${JSON.stringify(expression)}`;
  if (expanded === '' || fields.length !== FIELDS.length) {
    const count = expanded === '' ? 0 : fields.length;
    throw new UsageError(`${prefix} has ${count} field${count === 1 ? '' : 's'}: ${FORMAT}.`);
  }
  try {
    fields.forEach((field, i) => {
      const rule = FIELDS[i] as FieldRule;
      for (const part of field.split(',')) checkPart(part, rule);
    });
  } catch (err) {
    if (err instanceof CronError) throw new UsageError(`${prefix}: ${err.message}; ${FORMAT}.`);
    throw err;
  }
  return expanded;
}
