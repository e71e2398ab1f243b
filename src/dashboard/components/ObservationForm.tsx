/** A practitioner records one vital sign for the patient on screen (POST /Observation). */
import { useState } from 'preact/hooks';
import { LOINC, VITALS } from '../fhir.js';
import type { Session } from '../session.js';

export function ObservationForm({ session, patientId, onRecorded }: { session: Session; patientId: string; onRecorded: () => void }) {
  const [code, setCode] = useState<string>(VITALS[0].code);
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();

  const submit = async (event: Event) => {
    event.preventDefault();
    const vital = VITALS.find((v) => v.code === code) ?? VITALS[0];
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number)) {
      setMessage({ ok: false, text: 'Enter a number.' });
      return;
    }
    setBusy(true);
    setMessage(undefined);
    try {
      await session.request('/Observation', {
        method: 'POST',
        headers: { 'content-type': 'application/fhir+json' },
        body: JSON.stringify({
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: LOINC, code: vital.code, display: vital.display }] },
          subject: { reference: `Patient/${patientId}` },
          effectiveDateTime: new Date().toISOString(),
          valueQuantity: { value: number, unit: vital.unit, system: 'http://unitsofmeasure.org', code: vital.unit },
        }),
      });
      setValue('');
      setMessage({ ok: true, text: `Recorded ${vital.display}: ${number} ${vital.unit}.` });
      onRecorded();
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card inline-form" onSubmit={(e) => void submit(e)} aria-label="Record an observation">
      <h3>Record an observation</h3>
      <label>
        Measure
        <select value={code} onChange={(e) => setCode((e.target as HTMLSelectElement).value)} name="code">
          {VITALS.map((v) => (
            <option key={v.code} value={v.code}>
              {v.display} ({v.unit})
            </option>
          ))}
        </select>
      </label>
      <label>
        Value
        <input name="value" inputMode="decimal" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} required />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : 'Record'}
      </button>
      {message && <p class={message.ok ? 'ok' : 'error'} role="status">{message.text}</p>}
    </form>
  );
}
