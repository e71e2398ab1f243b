/** The security tests on a Citus lab (where Citus is installed): see securitySuite.ts. */
import { describeIfCitus } from '../../support/citus.js';
import { startCitusAuthApiLab } from '../../support/authApiLab.js';
import { securitySuite } from './securitySuite.js';

describeIfCitus('API security on Citus', () => {
  securitySuite(() => startCitusAuthApiLab());
});
