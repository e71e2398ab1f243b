/**
 * The HA drill's activities for lost-worker tests: stand-ins (fakeActivities.ts) for everything but
 * `awaitNodeRecovery`, which is the lab's real activity, wrapped as createActivities wraps it
 * (keep-alive heartbeats, typed errors) and run against a local lab on plain PostgreSQL.
 */
import type { LabActivities } from '../../src/activities/index.js';
import { withLabErrors } from '../../src/activities/failures.js';
import { withKeepAlive } from '../../src/activities/keepAlive.js';
import { createDrillActivities } from '../../src/activities/postgres/drill/drillActivities.js';
import { LocalEnvironment } from '../../src/environments/local/localEnvironment.js';
import { createFakeActivities, type Recorder } from './fakeActivities.js';

export function drillActivitiesWithRealRecovery(record: Recorder): LabActivities {
  const real = createDrillActivities({ environmentFor: (spec) => new LocalEnvironment(spec, { preloadCitus: false }) });
  const recovery = withKeepAlive(withLabErrors({ awaitNodeRecovery: real.awaitNodeRecovery }));
  return createFakeActivities(record, {
    async awaitNodeRecovery(spec, node, options) {
      record('awaitNodeRecovery', node);
      return recovery.awaitNodeRecovery(spec, node, options);
    },
  });
}
