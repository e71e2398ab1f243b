import type { Condition } from '@medplum/fhirtypes';
import { PATIENT_PARAMS, type ResourceDefinition, dateOf, medicoOf, patientReference, practitionerReference, text } from './definition.js';

export const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
/** The seed's Spanish estado values and their clinical-status codes. */
const ESTADO_TO_CLINICAL: Readonly<Record<string, string>> = { activo: 'active', resuelto: 'resolved' };
const CLINICAL_TO_ESTADO: Readonly<Record<string, string>> = { active: 'activo', resolved: 'resuelto' };

export const conditionDefinition: ResourceDefinition<Condition> = {
  type: 'Condition',
  table: 'diagnosticos',
  scope: 'compartment',
  localColumn: 'diagnostico_id',
  columnsOf: (c) => {
    const coding = c.code?.coding?.find((x) => x.system === ICD10) ?? c.code?.coding?.[0];
    const clinical = c.clinicalStatus?.coding?.[0]?.code;
    return {
      codigo_cie10: coding?.code ?? null,
      descripcion: c.code?.text ?? coding?.display ?? null,
      estado: clinical ? (CLINICAL_TO_ESTADO[clinical] ?? clinical) : null,
      fecha_diagnostico: dateOf(c.onsetDateTime ?? c.recordedDate),
      medico_id: medicoOf(c.recorder?.reference ?? c.asserter?.reference),
    };
  },
  fromRow: (row) => {
    const estado = text(row, 'estado');
    const code = text(row, 'codigo_cie10');
    const descripcion = text(row, 'descripcion');
    const onset = text(row, 'fecha_diagnostico');
    const recorder = practitionerReference(row);
    return {
      resourceType: 'Condition',
      ...(estado ? { clinicalStatus: { coding: [{ system: CLINICAL, code: ESTADO_TO_CLINICAL[estado] ?? estado }] } } : {}),
      verificationStatus: { coding: [{ system: VERIFICATION, code: 'confirmed' }] },
      ...(code || descripcion
        ? { code: { ...(code ? { coding: [{ system: ICD10, code, ...(descripcion ? { display: descripcion } : {}) }] } : {}), ...(descripcion ? { text: descripcion } : {}) } }
        : {}),
      subject: patientReference(row),
      ...(onset ? { onsetDateTime: onset } : {}),
      ...(recorder ? { recorder } : {}),
    };
  },
  search: [
    ...PATIENT_PARAMS,
    { name: 'code', type: 'token', expression: 't.codigo_cie10', system: ICD10, description: 'ICD-10 code.' },
    { name: 'onset-date', type: 'date', expression: 't.fecha_diagnostico', description: 'Date of onset.' },
    {
      name: 'clinical-status',
      type: 'token',
      expression: "CASE t.estado WHEN 'activo' THEN 'active' WHEN 'resuelto' THEN 'resolved' ELSE t.estado END",
      description: 'active | recurrence | relapse | inactive | remission | resolved',
    },
  ],
  sortDate: 't.fecha_diagnostico',
};
