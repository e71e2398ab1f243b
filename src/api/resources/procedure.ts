import type { Procedure } from '@medplum/fhirtypes';
import { PATIENT_PARAMS, type ResourceDefinition, medicoOf, patientReference, practitionerReference, text, timestampOf } from './definition.js';

export const procedureDefinition: ResourceDefinition<Procedure> = {
  type: 'Procedure',
  table: 'procedimientos',
  scope: 'compartment',
  localColumn: 'procedimiento_id',
  columnsOf: (p) => ({
    codigo: p.code?.coding?.[0]?.code ?? null,
    sistema: p.code?.coding?.[0]?.system ?? null,
    descripcion: p.code?.text ?? p.code?.coding?.[0]?.display ?? null,
    estado: p.status,
    fecha: timestampOf(p.performedDateTime ?? p.performedPeriod?.start),
    medico_id: medicoOf(p.performer?.[0]?.actor.reference),
  }),
  fromRow: (row) => {
    const code = text(row, 'codigo');
    const system = text(row, 'sistema');
    const descripcion = text(row, 'descripcion');
    const fecha = text(row, 'fecha');
    const performer = practitionerReference(row);
    return {
      resourceType: 'Procedure',
      status: (text(row, 'estado') ?? 'completed') as Procedure['status'],
      ...(code || descripcion
        ? { code: { ...(code ? { coding: [{ ...(system ? { system } : {}), code }] } : {}), ...(descripcion ? { text: descripcion } : {}) } }
        : {}),
      subject: patientReference(row),
      ...(fecha ? { performedDateTime: fecha } : {}),
      ...(performer ? { performer: [{ actor: performer }] } : {}),
    };
  },
  search: [
    ...PATIENT_PARAMS,
    { name: 'code', type: 'token', expression: 't.codigo', systemExpression: 't.sistema', description: 'Code of the procedure (system|code).' },
    { name: 'date', type: 'date', expression: 't.fecha', description: 'When the procedure was performed.' },
    { name: 'status', type: 'token', expression: 't.estado', description: 'preparation | in-progress | completed | ...' },
  ],
  sortDate: 't.fecha',
};
