/** Errors become one typed sentence; wrapped Temporal failures are unwrapped to their cause. */
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, RetryState, TerminatedFailure } from '@temporalio/common';
import { ConfigError } from '../../src/config/labSpec.js';
import { UsageError, describeError, formatErrorLine } from '../../src/cli/errors.js';
import { LabError } from '../../src/errors.js';

test('usage and configuration problems exit 2, runtime problems exit 1', () => {
  expect(describeError(new UsageError('--workers must be a whole number'))).toEqual({
    type: 'UsageError',
    message: '--workers must be a whole number',
    exitCode: 2,
  });
  expect(describeError(new ConfigError('unknown environment "x"')).exitCode).toBe(2);
  expect(describeError(new LabError('ConfigInvalid', 'bad')).exitCode).toBe(2);
  expect(describeError(new LabError('TemporalUnreachable', 'down'))).toEqual({ type: 'TemporalUnreachable', message: 'down', exitCode: 1 });
});

test('a failure deep in a child workflow activity is reported by its own type and message', () => {
  const root = ApplicationFailure.create({ type: 'PortInUse', message: 'port 15432 is taken: pick another --base-port', nonRetryable: true });
  const activity = new ActivityFailure('Activity task failed', 'startNodes', '3', RetryState.NON_RETRYABLE_FAILURE, 'w', root);
  const child = new ChildWorkflowFailure('default', { workflowId: 'c', runId: 'r' }, 'registerWorkers', RetryState.NON_RETRYABLE_FAILURE, activity);
  const err = new WorkflowFailedError('Workflow execution failed', child, RetryState.NON_RETRYABLE_FAILURE);
  expect(describeError(err)).toEqual({ type: 'PortInUse', message: 'port 15432 is taken: pick another --base-port', exitCode: 1 });
  expect(describeError(new WorkflowFailedError('Workflow execution failed', new TerminatedFailure('gone'), RetryState.TIMEOUT))).toEqual({
    type: 'Terminated',
    message: 'the workflow was terminated',
    exitCode: 1,
  });
});

test('one line, ending with a full stop', () => {
  expect(formatErrorLine({ message: 'something broke' })).toBe('citus-lab: something broke.');
  expect(formatErrorLine({ message: 'already a sentence.' })).toBe('citus-lab: already a sentence.');
});
