/**
 * The shell: who is signed in, the header, and the routes. Each role has one dashboard at
 * /app/<role>; any other role's URL shows a refusal and loads nothing (the server would refuse the
 * data anyway: the roles are enforced in its SQL, this page only keeps people on their own view).
 */
import { LocationProvider, Route, Router, useLocation } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { AdminPage } from './pages/AdminPage.js';
import { AuditorPage } from './pages/AuditorPage.js';
import { LoginPage } from './pages/LoginPage.js';
import { PatientPage } from './pages/PatientPage.js';
import { PractitionerPage } from './pages/PractitionerPage.js';
import { ROLES, type Role, type Session, type User } from './session.js';

export const BASE = '/app';

const TITLES: Record<Role, string> = { admin: 'Administration', practitioner: 'Practitioner', patient: 'My record', auditor: 'Audit trail' };

function Refusal({ user, wanted }: { user: User; wanted: Role }) {
  return (
    <section class="refusal card" role="alert" data-testid="refusal">
      <h1>Not your dashboard</h1>
      <p>
        The {wanted} dashboard is only for users with the <strong>{wanted}</strong> role. You are signed in as <strong>{user.username}</strong> with the role{' '}
        <strong>{user.role}</strong>.
      </p>
      <p>
        <a href={`${BASE}/${user.role}`}>Go to your dashboard ({TITLES[user.role]})</a>
      </p>
    </section>
  );
}

function Dashboard({ session, user, role }: { session: Session; user: User; role: Role }) {
  if (user.role !== role) return <Refusal user={user} wanted={role} />;
  switch (role) {
    case 'admin':
      return <AdminPage session={session} />;
    case 'practitioner':
      return <PractitionerPage session={session} />;
    case 'patient':
      return <PatientPage session={session} user={user} />;
    case 'auditor':
      return <AuditorPage session={session} />;
  }
}

function Redirect({ to }: { to: string }) {
  const { route } = useLocation();
  useEffect(() => route(to, true), [to]);
  return null;
}

function Routes({ session, user, ready }: { session: Session; user: User | undefined; ready: boolean }) {
  const { route, path } = useLocation();
  if (!ready) return <p class="muted">Loading…</p>;
  if (!user) {
    if (path !== `${BASE}/login`) return <Redirect to={`${BASE}/login`} />;
    return <LoginPage session={session} onSignedIn={(u) => route(`${BASE}/${u.role}`)} />;
  }
  return (
    <>
      <header class="top">
        <span class="brand">citus-lab</span>
        <nav>
          <a href={`${BASE}/${user.role}`}>{TITLES[user.role]}</a>
        </nav>
        <span class="who" data-testid="who">
          {user.username} · {user.role}
        </span>
        <button
          type="button"
          onClick={() => {
            void session.logout().then(() => route(`${BASE}/login`));
          }}
        >
          Log out
        </button>
      </header>
      <main>
        <Router>
          {ROLES.map((role) => (
            <Route key={role} path={`${BASE}/${role}`} component={() => <Dashboard session={session} user={user} role={role} />} />
          ))}
          <Route default component={() => <Redirect to={`${BASE}/${user.role}`} />} />
        </Router>
      </main>
    </>
  );
}

export function App({ session }: { session: Session }) {
  const [user, setUser] = useState<User | undefined>(session.user);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    const off = session.onChange(setUser);
    void session.resume().then((u) => {
      setUser(u);
      setReady(true);
    });
    return off;
  }, []);
  return (
    <LocationProvider>
      <Routes session={session} user={user} ready={ready} />
    </LocationProvider>
  );
}
