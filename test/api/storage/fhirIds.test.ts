import { SERVER_ASSIGNED_ID_BASE, documentoOfPatientReference, idOfKey, keyOfId } from '../../../src/api/storage/fhirIds.js';

describe('FHIR ids <-> table keys', () => {
  test('Patient ids are the documento_id; compartment ids carry it; reference ids are their own key', () => {
    expect(keyOfId('patient', '1000000001')).toEqual({ documento: '1000000001' });
    expect(keyOfId('compartment', '1000000001-42')).toEqual({ documento: '1000000001', local: '42' });
    expect(keyOfId('reference', '7')).toEqual({ local: '7' });
    for (const [scope, id] of [['patient', '1000000001'], ['compartment', '1000000001-42'], ['reference', '7']] as const) {
      const key = keyOfId(scope, id);
      expect(key && idOfKey(scope, key)).toBe(id);
    }
  });

  test('ids no row can have map to nothing: leading zeros, other shapes, beyond bigint', () => {
    for (const id of ['01', '1-2', 'abc', '', '9223372036854775808', '1.5']) expect(keyOfId('patient', id)).toBeUndefined();
    for (const id of ['1', '1-', '-1', '1-01', '1-2-3', '9223372036854775808-1']) expect(keyOfId('compartment', id)).toBeUndefined();
    expect(keyOfId('patient', '9223372036854775807')).toEqual({ documento: '9223372036854775807' });
  });

  test('patient references', () => {
    expect(documentoOfPatientReference('Patient/1000000001')).toBe('1000000001');
    expect(documentoOfPatientReference('Practitioner/1')).toBeUndefined();
    expect(documentoOfPatientReference('Patient/x')).toBeUndefined();
  });

  test('server-assigned keys start above every sample key', () => {
    expect(SERVER_ASSIGNED_ID_BASE).toBeGreaterThan(1_000_000_000 + 10_000_000 * 5);
  });
});
