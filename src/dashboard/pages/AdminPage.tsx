/** Admin: users and roles, API keys (created, shown once, revoked), and the cluster under the API. */
import { useState } from 'preact/hooks';
import { useApi } from '../components/useApi.js';
import { shortDate } from '../fhir.js';
import { ROLES, type Role, type Session } from '../session.js';

interface ApiUser {
  username: string;
  role: Role;
  documentoId?: string;
  active: boolean;
}

interface ApiKey {
  keyId: string;
  name: string;
  username: string;
  scopes: string[];
  createdAt?: string;
  expiresAt?: string | null;
  revokedAt?: string | null;
}

/** GET /admin/cluster (src/api/cluster/): what the coordinator and the Temporal server say. */
export interface ClusterOverview {
  citus: boolean;
  citusVersion?: string;
  message?: string;
  nodes: { host: string; port: number; role: 'coordinator' | 'worker'; active: boolean; shouldHaveShards: boolean; shards: number }[];
  temporal: { reachable: boolean; uiUrl: string; message?: string };
  runs: { kind: string; workflowId: string; runId: string; status: string; startTime?: string; closeTime?: string; url: string }[];
}

function UsersCard({ session }: { session: Session }) {
  const [reloadKey, setReloadKey] = useState(0);
  const { data, error } = useApi<{ users: ApiUser[] }>(session, '/admin/users', reloadKey);
  const [draft, setDraft] = useState({ username: '', role: 'practitioner' as Role, documentoId: '' });
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();

  const create = async (event: Event) => {
    event.preventDefault();
    setMessage(undefined);
    try {
      const created = await session.request<ApiUser & { password?: string }>('/admin/users', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: draft.username, role: draft.role, ...(draft.role === 'patient' ? { documentoId: draft.documentoId } : {}) }),
      });
      // Shown this once, like the server does: it is not stored anywhere the page can read again.
      setMessage({ ok: true, text: `Created ${created.username} (${created.role}). Password, shown once: ${created.password ?? '(the one you chose)'}` });
      setDraft({ ...draft, username: '', documentoId: '' });
      setReloadKey((k) => k + 1);
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) });
    }
  };

  return (
    <section class="card" data-testid="admin-users">
      <h3>
        Users and roles <span class="count">{data?.users.length ?? '…'}</span>
      </h3>
      {error && <p class="error" role="alert">{error}</p>}
      <table>
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            <th>Patient</th>
            <th>Active</th>
          </tr>
        </thead>
        <tbody>
          {data?.users.map((u) => (
            <tr key={u.username} data-user={u.username}>
              <td>{u.username}</td>
              <td>{u.role}</td>
              <td>{u.documentoId ?? ''}</td>
              <td>{u.active ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="inline-form" onSubmit={(e) => void create(e)} aria-label="Create a user">
        <label>
          New user
          <input name="new-username" value={draft.username} onInput={(e) => setDraft({ ...draft, username: (e.target as HTMLInputElement).value })} required />
        </label>
        <label>
          Role
          <select name="new-role" value={draft.role} onChange={(e) => setDraft({ ...draft, role: (e.target as HTMLSelectElement).value as Role })}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        {draft.role === 'patient' && (
          <label>
            Patient id
            <input name="new-documento" value={draft.documentoId} onInput={(e) => setDraft({ ...draft, documentoId: (e.target as HTMLInputElement).value })} required />
          </label>
        )}
        <button type="submit">Create user</button>
      </form>
      {message && <p class={message.ok ? 'ok' : 'error'} role="status">{message.text}</p>}
    </section>
  );
}

function ApiKeysCard({ session }: { session: Session }) {
  const [reloadKey, setReloadKey] = useState(0);
  const { data, error } = useApi<{ keys: ApiKey[] }>(session, '/admin/api-keys', reloadKey);
  const [draft, setDraft] = useState({ name: '', username: '' });
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();

  const act = async (action: () => Promise<string>) => {
    setMessage(undefined);
    try {
      setMessage({ ok: true, text: await action() });
      setReloadKey((k) => k + 1);
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) });
    }
  };
  const create = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const created = await session.request<ApiKey & { key: string }>('/admin/api-keys', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: draft.name, username: draft.username }),
      });
      setDraft({ name: '', username: '' });
      return `Key ${created.name} for ${created.username}, shown once: ${created.key}`;
    });
  };
  const revoke = (key: ApiKey) =>
    void act(async () => {
      await session.request(`/admin/api-keys/${encodeURIComponent(key.keyId)}`, { method: 'DELETE' });
      return `Revoked ${key.name}.`;
    });

  return (
    <section class="card" data-testid="admin-api-keys">
      <h3>
        API keys <span class="count">{data?.keys.length ?? '…'}</span>
      </h3>
      {error && <p class="error" role="alert">{error}</p>}
      {data && data.keys.length === 0 ? (
        <p class="muted">No API keys.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>User</th>
              <th>Scopes</th>
              <th>Created</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data?.keys.map((k) => (
              <tr key={k.keyId}>
                <td>{k.name}</td>
                <td>{k.username}</td>
                <td class="mono">{k.scopes.join(' ')}</td>
                <td>{shortDate(k.createdAt)}</td>
                <td>{k.expiresAt ? shortDate(k.expiresAt) : 'never'}</td>
                <td>
                  {k.revokedAt ? (
                    'revoked'
                  ) : (
                    <button type="button" class="danger" onClick={() => revoke(k)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="inline-form" onSubmit={create} aria-label="Create an API key">
        <label>
          Key name
          <input name="key-name" value={draft.name} onInput={(e) => setDraft({ ...draft, name: (e.target as HTMLInputElement).value })} required />
        </label>
        <label>
          For user
          <input name="key-user" value={draft.username} onInput={(e) => setDraft({ ...draft, username: (e.target as HTMLInputElement).value })} required />
        </label>
        <button type="submit">Create key</button>
      </form>
      {message && <p class={message.ok ? 'ok' : 'error'} role="status">{message.text}</p>}
    </section>
  );
}

function ClusterCard({ session }: { session: Session }) {
  const [reloadKey, setReloadKey] = useState(0);
  const { data, error, loading } = useApi<ClusterOverview>(session, '/admin/cluster', reloadKey);
  return (
    <section class="card" data-testid="admin-cluster">
      <h3>
        Cluster{' '}
        <button type="button" class="link" onClick={() => setReloadKey((k) => k + 1)} disabled={loading}>
          refresh
        </button>
      </h3>
      {error && <p class="error" role="alert">{error}</p>}
      {data && (
        <>
          <p class="muted">{data.citus ? `Citus ${data.citusVersion ?? ''}` : (data.message ?? 'Not a Citus cluster.')}</p>
          {data.nodes.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>Node</th>
                  <th>Role</th>
                  <th>Active</th>
                  <th>Takes shards</th>
                  <th>Shards</th>
                </tr>
              </thead>
              <tbody>
                {data.nodes.map((n) => (
                  <tr key={`${n.host}:${n.port}`} data-node={`${n.host}:${n.port}`}>
                    <td>
                      {n.host}:{n.port}
                    </td>
                    <td>{n.role}</td>
                    <td>{n.active ? 'yes' : 'no'}</td>
                    <td>{n.shouldHaveShards ? 'yes' : 'no'}</td>
                    <td>{n.shards}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h4>Last runs</h4>
          {!data.temporal.reachable && <p class="muted">Temporal: {data.temporal.message ?? 'not reachable'}</p>}
          {data.temporal.reachable && data.runs.length === 0 && <p class="muted">No deploy, drill or drain run recorded yet.</p>}
          {data.runs.length > 0 && (
            <table data-testid="admin-runs">
              <thead>
                <tr>
                  <th>Run</th>
                  <th>Workflow</th>
                  <th>Status</th>
                  <th>Started</th>
                  <th>Closed</th>
                </tr>
              </thead>
              <tbody>
                {data.runs.map((r) => (
                  <tr key={r.runId}>
                    <td>{r.kind}</td>
                    <td>
                      <a href={r.url} target="_blank" rel="noopener noreferrer">
                        {r.workflowId}
                      </a>
                    </td>
                    <td>{r.status}</td>
                    <td>{shortDate(r.startTime)}</td>
                    <td>{shortDate(r.closeTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p class="muted">
            Temporal Web UI:{' '}
            <a href={data.temporal.uiUrl} target="_blank" rel="noopener noreferrer">
              {data.temporal.uiUrl}
            </a>
          </p>
        </>
      )}
    </section>
  );
}

export function AdminPage({ session }: { session: Session }) {
  return (
    <div class="dashboard" data-testid="dashboard-admin">
      <h1>Administration</h1>
      <div class="grid">
        <UsersCard session={session} />
        <ApiKeysCard session={session} />
      </div>
      <ClusterCard session={session} />
    </div>
  );
}
