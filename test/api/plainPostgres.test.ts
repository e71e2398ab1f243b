/** The FHIR API's black-box tests against plain PostgreSQL: the lab schema without distribution (what CI has). */
import { startPlainApiLab } from '../support/apiServer.js';
import { SAMPLE_PATIENTS, fhirApiSuite } from './fhirApiSuite.js';

describe('FHIR API on plain PostgreSQL', () => {
  fhirApiSuite(() => startPlainApiLab(SAMPLE_PATIENTS));
});
