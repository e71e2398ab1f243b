import type { Practitioner } from '@medplum/fhirtypes';
import { type ResourceDefinition, text } from './definition.js';

export const REGISTRO_SYSTEM = 'urn:citus-lab:registro-profesional';

export const practitionerDefinition: ResourceDefinition<Practitioner> = {
  type: 'Practitioner',
  table: 'medicos',
  scope: 'reference',
  localColumn: 'medico_id',
  columnsOf: (p) => ({
    nombre: p.name?.[0]?.given?.[0] ?? null,
    apellido: p.name?.[0]?.family ?? null,
    especialidad: p.qualification?.[0]?.code.text ?? p.qualification?.[0]?.code.coding?.[0]?.display ?? null,
    registro_profesional: p.identifier?.find((i) => i.system === REGISTRO_SYSTEM)?.value ?? null,
  }),
  fromRow: (row) => {
    const registro = text(row, 'registro_profesional');
    const especialidad = text(row, 'especialidad');
    return {
      resourceType: 'Practitioner',
      ...(registro ? { identifier: [{ system: REGISTRO_SYSTEM, value: registro }] } : {}),
      name: [{ family: text(row, 'apellido'), given: text(row, 'nombre') ? [text(row, 'nombre') as string] : undefined, prefix: ['Dr.'] }],
      ...(especialidad ? { qualification: [{ code: { text: especialidad } }] } : {}),
    };
  },
  search: [
    { name: 'identifier', type: 'token', expression: 't.registro_profesional', system: REGISTRO_SYSTEM, description: `Professional registration (system ${REGISTRO_SYSTEM}).` },
    { name: 'name', type: 'string', expressions: ['t.nombre', 't.apellido'], description: 'Given or family name.' },
    { name: 'family', type: 'string', expressions: ['t.apellido'], description: 'Family name.' },
    { name: 'given', type: 'string', expressions: ['t.nombre'], description: 'First given name.' },
  ],
};
