/** The login form: POST /auth/login, then straight to the signed-in role's dashboard. */
import { useState } from 'preact/hooks';
import type { Session, User } from '../session.js';

export function LoginPage({ session, onSignedIn }: { session: Session; onSignedIn: (user: User) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await session.login(username, password));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <h1>citus-lab clinical records</h1>
        <p class="muted">Sign in with a lab user (their passwords are under the lab's secrets/ directory).</p>
        <label>
          Username
          <input name="username" autoComplete="username" value={username} onInput={(e) => setUsername((e.target as HTMLInputElement).value)} required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword((e.target as HTMLInputElement).value)} required />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && <p class="error" role="alert">{error}</p>}
      </form>
    </main>
  );
}
