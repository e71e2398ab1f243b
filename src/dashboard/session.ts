/**
 * The signed-in user and every call the dashboard makes to the server.
 *
 * Where the tokens live, and why:
 * - the access token (15 minutes) only in memory: nothing on disk or in storage a script of another
 *   page could read later, and it dies with the page;
 * - the refresh token in sessionStorage: it survives a reload and a typed-in URL inside this tab (so
 *   the user is not logged out by pressing F5), is never shared with other tabs or windows, and is
 *   gone when the tab closes. Never localStorage (it would outlive the session) and no cookie (the API
 *   takes bearer tokens, so there is no ambient credential a cross-site request could ride on).
 * The server rotates refresh tokens and revokes the whole login when one is used twice, so a stolen
 * copy is worth one refresh at most. The page's Content-Security-Policy allows scripts from this
 * origin only, which is what keeps other code from reading either token.
 */
export type Role = 'admin' | 'practitioner' | 'patient' | 'auditor';

export const ROLES: readonly Role[] = ['admin', 'practitioner', 'patient', 'auditor'];

export interface User {
  readonly username: string;
  readonly role: Role;
  /** The patient's id (documento_id) for role patient. */
  readonly patient?: string;
}

interface TokenAnswer {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  role: Role;
  patient?: string;
}

const STORAGE_KEY = 'citus-lab.session';
/** Refresh this long before the access token expires, so a request never goes out with a dead one. */
const REFRESH_MARGIN_MS = 60_000;

/** An answer of the server that is not a success, with the OperationOutcome's sentence. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

async function problemOf(response: Response): Promise<ApiError> {
  let text = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { issue?: { diagnostics?: string; details?: { text?: string } }[] };
    const issue = body.issue?.[0];
    const said = issue?.diagnostics ?? issue?.details?.text;
    if (said) text = said;
  } catch {
    // Not JSON: the status line says enough.
  }
  return new ApiError(response.status, text);
}

function usernameOf(accessToken: string): string {
  const payload = accessToken.split('.')[1] ?? '';
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown };
    return typeof claims.sub === 'string' ? claims.sub : '';
  } catch {
    return '';
  }
}

type Listener = (user: User | undefined) => void;

export class Session {
  private accessToken: string | undefined;
  private expiresAt = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | undefined;
  private current: User | undefined;
  private readonly listeners = new Set<Listener>();

  constructor(private readonly storage: Storage = sessionStorage) {}

  get user(): User | undefined {
    return this.current;
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After a reload: trade the stored refresh token for a fresh access token (or forget it). */
  async resume(): Promise<User | undefined> {
    if (!this.storedRefreshToken()) return undefined;
    try {
      await this.refresh();
    } catch {
      this.clear();
    }
    return this.current;
  }

  async login(username: string, password: string): Promise<User> {
    const response = await fetch('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!response.ok) throw await problemOf(response);
    this.accept((await response.json()) as TokenAnswer);
    if (!this.current) throw new ApiError(500, 'the server answered the login without a role');
    return this.current;
  }

  async logout(): Promise<void> {
    const refreshToken = this.storedRefreshToken();
    this.clear();
    if (refreshToken) {
      // Revoke on the server too; the page forgets its tokens whatever the answer.
      await fetch('/auth/logout', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken }),
      }).catch(() => undefined);
    }
  }

  /** GET/POST to the API with the access token; one refresh and retry when the server says 401. */
  async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    let response = await this.send(path, init);
    if (response.status === 401 && this.storedRefreshToken()) {
      await this.refresh();
      response = await this.send(path, init);
    }
    if (response.status === 401) this.clear();
    if (!response.ok) throw await problemOf(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    if (!this.accessToken || Date.now() > this.expiresAt - REFRESH_MARGIN_MS) {
      if (this.storedRefreshToken()) await this.refresh().catch(() => undefined);
    }
    const headers = new Headers(init.headers);
    if (this.accessToken) headers.set('authorization', `Bearer ${this.accessToken}`);
    if (!headers.has('accept')) headers.set('accept', 'application/fhir+json, application/json');
    return fetch(path, { ...init, headers });
  }

  /** One refresh at a time: two at once would present the same token twice, which revokes the login. */
  private refresh(): Promise<void> {
    this.inFlight ??= (async () => {
      try {
        const refreshToken = this.storedRefreshToken();
        if (!refreshToken) throw new ApiError(401, 'not signed in');
        const response = await fetch('/auth/refresh', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ refresh_token: refreshToken }),
        });
        if (!response.ok) {
          const problem = await problemOf(response);
          this.clear();
          throw problem;
        }
        this.accept((await response.json()) as TokenAnswer);
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }

  private accept(answer: TokenAnswer): void {
    if (!isRole(answer.role) || typeof answer.access_token !== 'string') throw new ApiError(500, 'the token answer is not one this page understands');
    this.accessToken = answer.access_token;
    this.expiresAt = Date.now() + answer.expires_in * 1000;
    this.storage.setItem(STORAGE_KEY, JSON.stringify({ refreshToken: answer.refresh_token }));
    this.current = { username: usernameOf(answer.access_token), role: answer.role, ...(answer.patient ? { patient: answer.patient } : {}) };
    clearTimeout(this.refreshTimer);
    // Keep the token fresh while the page stays open (an auditor watching the trail, say).
    this.refreshTimer = setTimeout(() => void this.refresh().catch(() => undefined), Math.max(answer.expires_in * 1000 - REFRESH_MARGIN_MS, 5_000));
    this.emit();
  }

  private clear(): void {
    const had = this.current !== undefined || this.accessToken !== undefined;
    this.accessToken = undefined;
    this.expiresAt = 0;
    this.current = undefined;
    clearTimeout(this.refreshTimer);
    this.storage.removeItem(STORAGE_KEY);
    if (had) this.emit();
  }

  private storedRefreshToken(): string | undefined {
    try {
      const stored = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? 'null') as { refreshToken?: unknown } | null;
      return typeof stored?.refreshToken === 'string' ? stored.refreshToken : undefined;
    } catch {
      return undefined;
    }
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.current);
  }
}
