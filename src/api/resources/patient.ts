import type { Patient } from '@medplum/fhirtypes';
import { type ResourceDefinition, dateOf, text } from './definition.js';

/** Patient.identifier system of the documento_id (the national id number; also the Patient's FHIR id). */
export const DOCUMENTO_SYSTEM = 'urn:citus-lab:documento-id';

export const patientDefinition: ResourceDefinition<Patient> = {
  type: 'Patient',
  table: 'pacientes',
  scope: 'patient',
  localColumn: 'paciente_id',
  columnsOf: (p) => ({
    nombre: p.name?.[0]?.given?.[0] ?? null,
    apellido: p.name?.[0]?.family ?? null,
    fecha_nacimiento: dateOf(p.birthDate),
  }),
  fromRow: (row) => {
    const given = text(row, 'nombre');
    const family = text(row, 'apellido');
    const born = text(row, 'fecha_nacimiento');
    return {
      resourceType: 'Patient',
      identifier: [{ system: DOCUMENTO_SYSTEM, value: String(row.documento_id) }],
      ...(given || family ? { name: [{ ...(family ? { family } : {}), ...(given ? { given: [given] } : {}) }] } : {}),
      ...(born ? { birthDate: born } : {}),
    };
  },
  search: [
    { name: 'identifier', type: 'token', expression: 't.documento_id', system: DOCUMENTO_SYSTEM, description: `The documento_id (system ${DOCUMENTO_SYSTEM}).` },
    { name: 'name', type: 'string', expressions: ['t.nombre', 't.apellido'], description: 'Given or family name (first name entry).' },
    { name: 'family', type: 'string', expressions: ['t.apellido'], description: 'Family name.' },
    { name: 'given', type: 'string', expressions: ['t.nombre'], description: 'First given name.' },
    { name: 'birthdate', type: 'date', expression: 't.fecha_nacimiento', description: 'Date of birth.' },
  ],
  sortDate: 't.fecha_nacimiento',
};
