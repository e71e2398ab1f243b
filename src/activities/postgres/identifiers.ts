/**
 * The one place SQL identifiers are turned into SQL text. Names are validated against the lab's plain
 * identifier rule first, so quoting never has to preserve anything surprising (case, dots, quotes).
 */
import { escapeIdentifier } from 'pg';
import { SQL_IDENTIFIER } from '../../config/labSpec.js';
import { LabError } from '../../errors.js';

export function assertIdentifier(name: string, what = 'identifier'): string {
  if (!SQL_IDENTIFIER.test(name)) {
    throw new LabError(
      'InvalidIdentifier',
      `${what} ${JSON.stringify(name)} is not a plain SQL identifier: use lowercase letters, digits and ` +
        'underscores, starting with a letter or underscore (max 63 characters).',
    );
  }
  return name;
}

/** A validated, double-quoted identifier ready to splice into SQL text (DDL cannot take bound parameters). */
export function quoteIdentifier(name: string, what?: string): string {
  return escapeIdentifier(assertIdentifier(name, what));
}
