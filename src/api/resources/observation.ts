import type { Observation } from '@medplum/fhirtypes';
import { PATIENT_PARAMS, type ResourceDefinition, numeric, patientReference, text, timestampOf } from './definition.js';

export const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

/** The sample data's LOINC codes (src/activities/postgres/sampleRows.ts) with display and UCUM unit. */
const LOINC_CODES: Readonly<Record<string, { display: string; unit: string }>> = {
  '8867-4': { display: 'Heart rate', unit: '/min' },
  '8480-6': { display: 'Systolic blood pressure', unit: 'mm[Hg]' },
  '8310-5': { display: 'Body temperature', unit: 'Cel' },
  '29463-7': { display: 'Body weight', unit: 'kg' },
  '2339-0': { display: 'Glucose [Mass/volume] in Blood', unit: 'mg/dL' },
};

export const observationDefinition: ResourceDefinition<Observation> = {
  type: 'Observation',
  table: 'observaciones',
  scope: 'compartment',
  localColumn: 'observacion_id',
  columnsOf: (o) => ({
    codigo: (o.code.coding?.find((c) => c.system === LOINC) ?? o.code.coding?.[0])?.code ?? null,
    valor: o.valueQuantity?.value ?? null,
    fecha: timestampOf(o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.issued),
  }),
  fromRow: (row) => {
    const code = text(row, 'codigo') ?? 'unknown';
    const known = LOINC_CODES[code];
    const value = numeric(row, 'valor');
    const fecha = text(row, 'fecha');
    return {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: LOINC, code, ...(known ? { display: known.display } : {}) }] },
      subject: patientReference(row),
      ...(fecha ? { effectiveDateTime: fecha } : {}),
      ...(value !== undefined
        ? { valueQuantity: { value, ...(known ? { unit: known.unit, system: UCUM, code: known.unit } : {}) } }
        : {}),
    };
  },
  search: [
    ...PATIENT_PARAMS,
    { name: 'code', type: 'token', expression: 't.codigo', system: LOINC, description: 'LOINC code (http://loinc.org|<code>).' },
    { name: 'date', type: 'date', expression: 't.fecha', description: 'When the observation was made.' },
    // Rows loaded by COPY carry no JSON: they are final observations.
    { name: 'status', type: 'token', expression: "coalesce(t.resource->>'status', 'final')", description: 'registered | preliminary | final | amended | ...' },
  ],
  sortDate: 't.fecha',
};
