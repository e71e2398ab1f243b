import { LabError } from '../../src/errors.js';

/** The LabError a call rejects with; fails the test when it succeeds or throws anything else. */
export async function rejectionOf(promise: Promise<unknown>): Promise<LabError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof LabError) return err;
    throw err;
  }
  throw new Error('expected a LabError, but the call succeeded');
}
