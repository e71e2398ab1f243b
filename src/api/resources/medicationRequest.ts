import type { MedicationRequest } from '@medplum/fhirtypes';
import { PATIENT_PARAMS, type ResourceDefinition, dateOf, medicoOf, patientReference, practitionerReference, text } from './definition.js';

export const ATC = 'http://www.whocc.no/atc';

export const medicationRequestDefinition: ResourceDefinition<MedicationRequest> = {
  type: 'MedicationRequest',
  table: 'medicamentos',
  scope: 'compartment',
  localColumn: 'medicamento_id',
  columnsOf: (m) => {
    const coding = m.medicationCodeableConcept?.coding?.find((c) => c.system === ATC) ?? m.medicationCodeableConcept?.coding?.[0];
    return {
      codigo_atc: coding?.code ?? null,
      nombre: coding?.display ?? m.medicationCodeableConcept?.text ?? null,
      dosis: m.dosageInstruction?.[0]?.text ?? null,
      frecuencia: null,
      fecha_inicio: dateOf(m.dispenseRequest?.validityPeriod?.start ?? m.authoredOn),
      fecha_fin: dateOf(m.dispenseRequest?.validityPeriod?.end),
      medico_id: medicoOf(m.requester?.reference),
    };
  },
  fromRow: (row) => {
    const start = text(row, 'fecha_inicio');
    const end = text(row, 'fecha_fin');
    const requester = practitionerReference(row);
    const dosage = [text(row, 'dosis'), text(row, 'frecuencia')].filter(Boolean).join(' ');
    const code = text(row, 'codigo_atc');
    const name = text(row, 'nombre');
    return {
      resourceType: 'MedicationRequest',
      status: end ? 'completed' : 'active',
      intent: 'order',
      medicationCodeableConcept: {
        ...(code ? { coding: [{ system: ATC, code, ...(name ? { display: name } : {}) }] } : {}),
        ...(name ? { text: name } : {}),
      },
      subject: patientReference(row),
      ...(start ? { authoredOn: start } : {}),
      ...(requester ? { requester } : {}),
      ...(dosage ? { dosageInstruction: [{ text: dosage }] } : {}),
      ...(start ? { dispenseRequest: { validityPeriod: { start, ...(end ? { end } : {}) } } } : {}),
    };
  },
  search: [
    ...PATIENT_PARAMS,
    { name: 'code', type: 'token', expression: 't.codigo_atc', system: ATC, description: 'ATC code of the medication.' },
    { name: 'authoredon', type: 'date', expression: 't.fecha_inicio', description: 'When the prescription starts.' },
    {
      name: 'status',
      type: 'token',
      // Rows loaded by COPY carry no JSON: a prescription with an end date is completed.
      expression: "coalesce(t.resource->>'status', CASE WHEN t.fecha_fin IS NULL THEN 'active' ELSE 'completed' END)",
      description: 'active | on-hold | cancelled | completed | ...',
    },
  ],
  sortDate: 't.fecha_inicio',
};
