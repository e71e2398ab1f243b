/** The security tests on plain PostgreSQL (every machine): see securitySuite.ts. */
import { startPlainAuthApiLab } from '../../support/authApiLab.js';
import { securitySuite } from './securitySuite.js';

describe('API security on plain PostgreSQL', () => {
  securitySuite(() => startPlainAuthApiLab(20));
});
