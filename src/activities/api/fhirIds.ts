/** The FHIR id of a loaded patient, from its documento_id (the shard key). */
export function fhirPatientId(documentoId: number): string {
  return String(documentoId);
}
