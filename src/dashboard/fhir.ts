/** The few FHIR shapes the dashboard reads, and how it words them. Only what the pages show. */
export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

export interface Resource {
  resourceType: string;
  id?: string;
  meta?: { lastUpdated?: string; versionId?: string };
  [key: string]: unknown;
}

export interface Bundle {
  resourceType: 'Bundle';
  total?: number;
  link?: { relation: string; url: string }[];
  entry?: { resource?: Resource; search?: { mode?: string } }[];
}

export interface Patient extends Resource {
  resourceType: 'Patient';
  name?: { family?: string; given?: string[] }[];
  birthDate?: string;
  identifier?: { system?: string; value?: string }[];
}

export interface Observation extends Resource {
  resourceType: 'Observation';
  code?: { coding?: Coding[]; text?: string };
  effectiveDateTime?: string;
  valueQuantity?: { value?: number; unit?: string };
  status?: string;
}

/** The resources of a Bundle that matched (search outcomes and includes left out). */
export function resourcesOf<R extends Resource = Resource>(bundle: Bundle, type?: string): R[] {
  return (bundle.entry ?? [])
    .filter((e) => e.search?.mode !== 'outcome')
    .map((e) => e.resource)
    .filter((r): r is R => r !== undefined && (type === undefined || r.resourceType === type));
}

export function patientName(patient: Patient): string {
  const name = patient.name?.[0];
  const text = [...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
  return text || `Patient ${patient.id ?? '?'}`;
}

export function codingText(concept: { coding?: Coding[]; text?: string } | undefined): string {
  const coding = concept?.coding?.[0];
  return concept?.text ?? coding?.display ?? coding?.code ?? '—';
}

export function shortDate(value: unknown): string {
  if (typeof value !== 'string' || !value) return '—';
  return value.length > 10 ? value.slice(0, 16).replace('T', ' ') : value;
}

/** The vital signs the sample data carries (LOINC), offered when recording an observation. */
export const VITALS = [
  { code: '8867-4', display: 'Heart rate', unit: '/min' },
  { code: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]' },
  { code: '8310-5', display: 'Body temperature', unit: 'Cel' },
  { code: '29463-7', display: 'Body weight', unit: 'kg' },
  { code: '2339-0', display: 'Glucose [Mass/volume] in Blood', unit: 'mg/dL' },
] as const;

export const LOINC = 'http://loinc.org';
