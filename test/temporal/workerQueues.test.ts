import { LabError } from '../../src/errors.js';
import { workerTaskQueues } from '../../src/temporal/workerQueues.js';

test('--lab names the labs to serve, plus the shared queue of older runs', () => {
  expect(workerTaskQueues(['--lab', 'local/lab', '--lab', 'compose/other'], {})).toEqual([
    'citus-lab-local-lab',
    'citus-lab-compose-other',
    'citus-lab',
  ]);
});

test('CITUS_LAB_WORKER_LABS when no --lab is given; else the lab CITUS_LAB_ENV / CITUS_LAB_CLUSTER name', () => {
  expect(workerTaskQueues([], { CITUS_LAB_WORKER_LABS: 'local/a, minikube/b' })).toEqual(['citus-lab-local-a', 'citus-lab-minikube-b', 'citus-lab']);
  expect(workerTaskQueues([], {})).toEqual(['citus-lab-local-lab', 'citus-lab']);
  expect(workerTaskQueues([], { CITUS_LAB_ENV: 'compose', CITUS_LAB_CLUSTER: 'x' })).toEqual(['citus-lab-compose-x', 'citus-lab']);
});

test.each([
  [['--lab', 'mars/lab'], '--lab "mars/lab" is not <env>/<cluster>'],
  [['--lab', 'local'], '--lab "local" is not <env>/<cluster>'],
  [['--lab', 'local/Bad_Name'], '--lab "local/Bad_Name" is not <env>/<cluster>'],
  [['--queue', 'x'], "Unknown option '--queue'"],
])('%j is refused with one sentence', (args, message) => {
  let error: unknown;
  try {
    workerTaskQueues(args, {});
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(LabError);
  expect((error as LabError).type).toBe('ConfigInvalid');
  expect((error as LabError).message).toContain(message);
});
