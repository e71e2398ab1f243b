/** Practitioner: find a patient by name or id, open their record, record an observation. */
import { useState } from 'preact/hooks';
import { ObservationForm } from '../components/ObservationForm.js';
import { PatientRecord } from '../components/PatientRecord.js';
import { useApi } from '../components/useApi.js';
import { patientName, resourcesOf, type Bundle, type Patient } from '../fhir.js';
import type { Session } from '../session.js';

/** Digits are an id (documento_id); anything else is a name, matched from its start. */
function searchPath(text: string): string | undefined {
  const q = text.trim();
  if (!q) return undefined;
  const param = /^[0-9]+$/.test(q) ? `_id=${q}` : `name=${encodeURIComponent(q)}`;
  return `/Patient?${param}&_count=20`;
}

export function PractitionerPage({ session }: { session: Session }) {
  const [text, setText] = useState('');
  const [query, setQuery] = useState<string>();
  const [selected, setSelected] = useState<string>();
  const [reloadKey, setReloadKey] = useState(0);
  const found = useApi<Bundle>(session, query);
  const patients = found.data ? resourcesOf<Patient>(found.data, 'Patient') : [];

  return (
    <div class="dashboard" data-testid="dashboard-practitioner">
      <h1>Practitioner</h1>
      <form
        class="card inline-form"
        aria-label="Find a patient"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(searchPath(text));
        }}
      >
        <label>
          Find a patient (name or id)
          <input name="patient-search" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      {found.error && <p class="error" role="alert">{found.error}</p>}
      {found.data && (
        <section class="card">
          <h3>
            Patients <span class="count">{patients.length}</span>
          </h3>
          {patients.length === 0 ? (
            <p class="muted">No patient matches.</p>
          ) : (
            <ul class="patients">
              {patients.map((p) => (
                <li key={p.id}>
                  <button type="button" class={p.id === selected ? 'link active' : 'link'} onClick={() => setSelected(p.id)} data-patient={p.id}>
                    {patientName(p)} <span class="muted">#{p.id} · born {p.birthDate ?? '?'}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {selected && (
        <PatientRecord session={session} patientId={selected} reloadKey={reloadKey}>
          <ObservationForm session={session} patientId={selected} onRecorded={() => setReloadKey((k) => k + 1)} />
        </PatientRecord>
      )}
    </div>
  );
}
