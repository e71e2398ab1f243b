import type { Encounter } from '@medplum/fhirtypes';
import { PATIENT_PARAMS, type ResourceDefinition, medicoOf, patientReference, practitionerReference, text, timestampOf } from './definition.js';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
/** The seed's encounter tipo values as v3 ActCode classes. */
const TIPO_TO_CLASS: Readonly<Record<string, { code: string; display: string }>> = {
  ambulatorio: { code: 'AMB', display: 'ambulatory' },
  urgencias: { code: 'EMER', display: 'emergency' },
  hospitalizacion: { code: 'IMP', display: 'inpatient encounter' },
};
const CLASS_TO_TIPO: Readonly<Record<string, string>> = { AMB: 'ambulatorio', EMER: 'urgencias', IMP: 'hospitalizacion' };

export const encounterDefinition: ResourceDefinition<Encounter> = {
  type: 'Encounter',
  table: 'encuentros',
  scope: 'compartment',
  localColumn: 'encuentro_id',
  columnsOf: (e) => ({
    tipo: e.class.code ? (CLASS_TO_TIPO[e.class.code] ?? e.class.code) : null,
    motivo: e.reasonCode?.[0]?.text ?? e.reasonCode?.[0]?.coding?.[0]?.display ?? null,
    fecha_inicio: timestampOf(e.period?.start),
    fecha_fin: timestampOf(e.period?.end),
    medico_id: medicoOf(e.participant?.[0]?.individual?.reference),
  }),
  fromRow: (row) => {
    const tipo = text(row, 'tipo') ?? 'ambulatorio';
    const cls = TIPO_TO_CLASS[tipo] ?? { code: tipo, display: tipo };
    const motivo = text(row, 'motivo');
    const start = text(row, 'fecha_inicio');
    const end = text(row, 'fecha_fin');
    const medico = practitionerReference(row);
    return {
      resourceType: 'Encounter',
      status: 'finished',
      class: { system: ACT_CODE, ...cls },
      subject: patientReference(row),
      ...(medico ? { participant: [{ individual: medico }] } : {}),
      ...(start || end ? { period: { ...(start ? { start } : {}), ...(end ? { end } : {}) } } : {}),
      ...(motivo ? { reasonCode: [{ text: motivo }] } : {}),
    };
  },
  search: [
    ...PATIENT_PARAMS,
    { name: 'date', type: 'date', expression: 't.fecha_inicio', description: 'Start of the encounter.' },
    { name: 'status', type: 'token', expression: "coalesce(t.resource->>'status', 'finished')", description: 'planned | arrived | in-progress | finished | ...' },
  ],
  sortDate: 't.fecha_inicio',
};
