/**
 * GET /metadata: generated from the resource tables and the interaction table that drive the routes.
 */
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { RESOURCE_DEFINITIONS } from '../resources/index.js';
import { COMMON_PARAMETERS } from './searchParameters.js';
import { OPERATIONS, SYSTEM_INTERACTIONS, TYPE_INTERACTIONS } from './interactions.js';

export const SOFTWARE = { name: 'citus-lab FHIR API', version: '0.1.0' };

export function capabilityStatement(baseUrl: string, date: string): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    kind: 'instance',
    software: SOFTWARE,
    implementation: { description: 'FHIR R4 over a Citus cluster: each patient compartment lives on one shard', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        resource: RESOURCE_DEFINITIONS.map((d) => ({
          type: d.type,
          interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
          versioning: 'versioned-update' as const,
          readHistory: true,
          updateCreate: false,
          conditionalCreate: true,
          conditionalUpdate: false,
          conditionalDelete: 'not-supported' as const,
          searchParam: [
            ...COMMON_PARAMETERS.map((p) => ({ name: p.name, type: p.type, documentation: p.description })),
            ...d.search.map((p) => ({ name: p.name, type: p.type, documentation: p.description })),
          ],
          ...(OPERATIONS.some((o) => o.type === d.type)
            ? { operation: OPERATIONS.filter((o) => o.type === d.type).map((o) => ({ name: o.name, definition: o.definition })) }
            : {}),
        })),
        interaction: SYSTEM_INTERACTIONS.map((code) => ({ code })),
      },
    ],
  };
}
