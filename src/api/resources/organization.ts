import type { Organization } from '@medplum/fhirtypes';
import { type ResourceDefinition, text } from './definition.js';

export const organizationDefinition: ResourceDefinition<Organization> = {
  type: 'Organization',
  table: 'organizaciones',
  scope: 'reference',
  localColumn: 'organizacion_id',
  columnsOf: (o) => ({ nombre: o.name ?? null }),
  fromRow: (row) => ({ resourceType: 'Organization', active: true, ...(text(row, 'nombre') ? { name: text(row, 'nombre') } : {}) }),
  search: [{ name: 'name', type: 'string', expressions: ['t.nombre'], description: 'Name of the organization.' }],
};
