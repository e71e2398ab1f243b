/**
 * The resource types the server supports: the table routes, search and /metadata are generated from.
 * A type not listed here does not exist for the API (404), whatever FHIR defines.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceDefinition } from './definition.js';
import { conditionDefinition } from './condition.js';
import { encounterDefinition } from './encounter.js';
import { medicationRequestDefinition } from './medicationRequest.js';
import { observationDefinition } from './observation.js';
import { organizationDefinition } from './organization.js';
import { patientDefinition } from './patient.js';
import { practitionerDefinition } from './practitioner.js';
import { procedureDefinition } from './procedure.js';

export const RESOURCE_DEFINITIONS: readonly ResourceDefinition[] = [
  patientDefinition,
  practitionerDefinition,
  organizationDefinition,
  encounterDefinition,
  observationDefinition,
  conditionDefinition,
  medicationRequestDefinition,
  procedureDefinition,
] as unknown as readonly ResourceDefinition[];

const BY_TYPE = new Map(RESOURCE_DEFINITIONS.map((d) => [d.type as string, d]));

export function definitionOf(type: string): ResourceDefinition | undefined {
  return BY_TYPE.get(type);
}

/** Types whose rows live in a patient's compartment (co-located with pacientes). */
export const COMPARTMENT_DEFINITIONS = RESOURCE_DEFINITIONS.filter((d) => d.scope === 'compartment');

export type { ResourceDefinition, Resource };
