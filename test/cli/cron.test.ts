/** Cron expressions are checked before Temporal is contacted: valid ones pass through, bad ones say which field is wrong. */
import { parseCron } from '../../src/cli/cron.js';
import { UsageError } from '../../src/cli/errors.js';

test.each([
  ['0 3 * * *', '0 3 * * *'],
  ['  0   3 * *  * ', '0 3 * * *'],
  ['*/15 * * * *', '*/15 * * * *'],
  ['0 2-4 1,15 * mon-fri', '0 2-4 1,15 * mon-fri'],
  ['30 1 * JAN,Jul 0', '30 1 * JAN,Jul 0'],
  ['0 0 * * 7', '0 0 * * 7'],
  ['5 10-20/2 * 1-6/2 *', '5 10-20/2 * 1-6/2 *'],
  ['@daily', '0 0 * * *'],
  ['@Hourly', '0 * * * *'],
])('accepts %j', (input, sent) => {
  expect(parseCron(input)).toBe(sent);
});

test.each([
  ['61 3 * * *', 'minute 61 is out of range 0-59'],
  ['0 24 * * *', 'hour 24 is out of range 0-23'],
  ['0 3 0 * *', 'day-of-month 0 is out of range 1-31'],
  ['0 3 * 13 *', 'month 13 is out of range 1-12'],
  ['0 3 * * 8', 'day-of-week 8 is out of range 0-7'],
  ['0 3 * * funday', 'day-of-week "funday" is not a number or a name (sun, mon, tue, wed, thu, fri, sat)'],
  ['0 5-2 * * *', 'hour range 5-2 runs backwards'],
  ['*/0 * * * *', 'minute step "0" must be a whole number from 1'],
  ['0 3 * *', 'has 4 fields'],
  ['0 3 * * * *', 'has 6 fields'],
  ['', 'has 0 fields'],
  ['nightly', 'has 1 field:'],
  ['0 1,,2 * * *', 'hour "" is malformed'],
])('refuses %j: %s', (input, reason) => {
  let err: unknown;
  try {
    parseCron(input);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UsageError);
  expect((err as Error).message).toContain(reason);
  expect((err as Error).message).toMatch(/^cron ".*"(: | has )/);
  expect((err as Error).message).toContain('e.g. "0 3 * * *"');
});
