/** Auditor: the audit trail (GET /AuditEvent) with the server's filters: patient, agent, date, action. */
import { useState } from 'preact/hooks';
import { useApi } from '../components/useApi.js';
import { resourcesOf, shortDate, type Bundle, type Resource } from '../fhir.js';
import type { Session } from '../session.js';

interface Filters {
  patient: string;
  agent: string;
  date: string;
  action: string;
}

/** FHIR AuditEvent.action codes: the filter's choices, and the word the table shows. */
const ACTIONS: Record<string, string> = { '': 'any', C: 'create', R: 'read', U: 'update', D: 'delete', E: 'execute ($everything, login…)' };
const ACTION_WORDS: Record<string, string> = { C: 'create', R: 'read', U: 'update', D: 'delete', E: 'execute' };

export function auditPath(f: Filters): string {
  const params = new URLSearchParams({ _count: '50' });
  if (f.patient.trim()) params.set('patient', f.patient.trim());
  if (f.agent.trim()) params.set('agent', f.agent.trim());
  if (f.date) params.set('date', `ge${f.date}`);
  if (f.action) params.set('action', f.action);
  return `/AuditEvent?${params.toString()}`;
}

interface AuditEvent extends Resource {
  recorded?: string;
  action?: string;
  outcome?: string;
  outcomeDesc?: string;
  subtype?: { code?: string }[];
  agent?: { who?: { display?: string }; role?: { text?: string }[]; network?: { address?: string } }[];
  entity?: { what?: { reference?: string }; name?: string; description?: string }[];
}

const OUTCOMES: Record<string, string> = { '0': 'success', '4': 'minor failure', '8': 'serious failure', '12': 'major failure' };

export function AuditorPage({ session }: { session: Session }) {
  const [draft, setDraft] = useState<Filters>({ patient: '', agent: '', date: '', action: '' });
  const [filters, setFilters] = useState<Filters>(draft);
  const [reloadKey, setReloadKey] = useState(0);
  const { data, error, loading } = useApi<Bundle>(session, auditPath(filters), reloadKey);
  const events = data ? resourcesOf<AuditEvent>(data, 'AuditEvent') : [];
  const field = (name: keyof Filters) => (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value });

  return (
    <div class="dashboard" data-testid="dashboard-auditor">
      <h1>Audit trail</h1>
      <form
        class="card inline-form"
        aria-label="Filter the audit trail"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
          setReloadKey((k) => k + 1);
        }}
      >
        <label>
          Patient id
          <input name="patient" value={draft.patient} onInput={field('patient')} inputMode="numeric" />
        </label>
        <label>
          Agent (user)
          <input name="agent" value={draft.agent} onInput={field('agent')} />
        </label>
        <label>
          Since
          <input name="date" type="date" value={draft.date} onInput={field('date')} />
        </label>
        <label>
          Action
          <select name="action" value={draft.action} onChange={field('action')}>
            {Object.entries(ACTIONS).map(([code, text]) => (
              <option key={code} value={code}>
                {text}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      {error && <p class="error" role="alert">{error}</p>}
      <section class="card">
        <h3>
          Events <span class="count">{loading ? '…' : events.length}</span>
        </h3>
        <table data-testid="audit-table">
          <thead>
            <tr>
              <th>Recorded</th>
              <th>Agent</th>
              <th>Role</th>
              <th>Action</th>
              <th>Interaction</th>
              <th>What</th>
              <th>Request</th>
              <th>Outcome</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => {
              const agent = e.agent?.[0];
              const entity = e.entity?.[0];
              return (
                <tr key={e.id} data-agent={agent?.who?.display} data-action={e.action}>
                  <td>{shortDate(e.recorded)}</td>
                  <td>{agent?.who?.display ?? '—'}</td>
                  <td>{agent?.role?.[0]?.text ?? '—'}</td>
                  <td>{ACTION_WORDS[e.action ?? ''] ?? e.action}</td>
                  <td>{e.subtype?.[0]?.code ?? '—'}</td>
                  <td>{entity?.what?.reference ?? entity?.name ?? '—'}</td>
                  <td class="mono">{entity?.description ?? ''}</td>
                  <td title={e.outcomeDesc}>{OUTCOMES[e.outcome ?? ''] ?? e.outcome}</td>
                  <td>{agent?.network?.address ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {!loading && events.length === 0 && <p class="muted">No events match.</p>}
      </section>
    </div>
  );
}
