/**
 * One patient's record from `Patient/<id>/$everything` (one shard in the lab): who they are, their
 * observations over time as a chart and a list, conditions, medications and encounters. The same
 * view serves the practitioner (with the form to record) and the patient (read-only).
 */
import type { ComponentChildren } from 'preact';
import { codingText, patientName, resourcesOf, shortDate, type Bundle, type Observation, type Patient, type Resource } from '../fhir.js';
import type { Session } from '../session.js';
import { ObservationChart } from './ObservationChart.js';
import { useApi } from './useApi.js';

function Table({ title, rows, head, empty }: { title: string; rows: ComponentChildren[][]; head: string[]; empty: string }) {
  return (
    <section class="card">
      <h3>
        {title} <span class="count">{rows.length}</span>
      </h3>
      {rows.length === 0 ? (
        <p class="muted">{empty}</p>
      ) : (
        <table>
          <thead>
            <tr>{head.map((h) => <th key={h}>{h}</th>)}</tr>
          </thead>
          <tbody>
            {rows.map((cells, i) => (
              <tr key={i}>{cells.map((c, j) => <td key={j}>{c}</td>)}</tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const byDateDesc = (field: string) => (a: Resource, b: Resource) => String(b[field] ?? '').localeCompare(String(a[field] ?? ''));

export function PatientRecord({ session, patientId, reloadKey = 0, children }: { session: Session; patientId: string; reloadKey?: number; children?: ComponentChildren }) {
  const { data, error, loading } = useApi<Bundle>(session, `/Patient/${encodeURIComponent(patientId)}/$everything`, reloadKey);
  if (error) return <p class="error" role="alert">Could not load Patient/{patientId}: {error}</p>;
  if (!data) return <p class="muted">{loading ? 'Loading the record…' : ''}</p>;

  const patient = resourcesOf<Patient>(data, 'Patient')[0];
  const observations = resourcesOf<Observation>(data, 'Observation').sort(byDateDesc('effectiveDateTime'));
  const conditions = resourcesOf(data, 'Condition').sort(byDateDesc('onsetDateTime'));
  const medications = resourcesOf(data, 'MedicationRequest').sort(byDateDesc('authoredOn'));
  const encounters = resourcesOf(data, 'Encounter');

  return (
    <div class="record" data-testid="patient-record" data-patient={patientId}>
      <section class="card patient-header">
        <h2>{patient ? patientName(patient) : `Patient ${patientId}`}</h2>
        <dl>
          <dt>Id (documento)</dt>
          <dd>{patientId}</dd>
          <dt>Born</dt>
          <dd>{patient?.birthDate ?? '—'}</dd>
          <dt>Resources</dt>
          <dd>{data.total ?? data.entry?.length ?? 0}</dd>
        </dl>
      </section>
      {children}
      <section class="card">
        <h3>Observations over time</h3>
        <ObservationChart observations={observations} />
      </section>
      <Table
        title="Observations"
        head={['When', 'What', 'Value']}
        empty="No observations."
        rows={observations.map((o) => [
          shortDate(o.effectiveDateTime),
          codingText(o.code),
          o.valueQuantity?.value !== undefined ? `${o.valueQuantity.value} ${o.valueQuantity.unit ?? ''}`.trim() : '—',
        ])}
      />
      <Table
        title="Conditions"
        head={['Onset', 'Condition', 'Status']}
        empty="No conditions."
        rows={conditions.map((c) => [shortDate(c.onsetDateTime), codingText(c.code as never), codingText(c.clinicalStatus as never)])}
      />
      <Table
        title="Medications"
        head={['Authored', 'Medication', 'Status']}
        empty="No medication requests."
        rows={medications.map((m) => [shortDate(m.authoredOn), codingText(m.medicationCodeableConcept as never), String(m.status ?? '—')])}
      />
      <Table
        title="Encounters"
        head={['When', 'Class', 'Reason', 'Status']}
        empty="No encounters."
        rows={encounters.map((e) => {
          const cls = e.class as { display?: string; code?: string } | undefined;
          return [
            shortDate((e.period as { start?: string } | undefined)?.start),
            cls?.display ?? cls?.code ?? '—',
            codingText((e.reasonCode as { text?: string }[] | undefined)?.[0]),
            String(e.status ?? '—'),
          ];
        })}
      />
    </div>
  );
}
