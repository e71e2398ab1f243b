-- People and programs allowed on the clinical API (src/api/auth). Idempotent, like every migration.
-- All four are reference tables under Citus (src/activities/postgres/schema.ts, TABLE_PLAN): small,
-- read on every request, and never tied to one patient. The seed's `usuario` table stays as it is (its
-- sample rows are what verify counts); these accounts are the API's own.
--
-- Secrets are never stored: passwords as scrypt hashes, refresh tokens and API keys as SHA-256 of
-- 256 random bits (a slow hash buys nothing against a secret that cannot be guessed).

CREATE TABLE IF NOT EXISTS api_users (
  username      TEXT        NOT NULL PRIMARY KEY,
  role          TEXT        NOT NULL CHECK (role IN ('admin', 'practitioner', 'patient', 'auditor')),
  -- The patient this account is, for role 'patient': the compartment every query is limited to.
  documento_id  BIGINT,
  password_hash TEXT        NOT NULL,
  active        BOOLEAN     NOT NULL DEFAULT true,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK ((role = 'patient') = (documento_id IS NOT NULL))
);

-- One row per refresh token ever issued. A family is one login: every rotation adds a row to it, and
-- presenting a used (rotated) token revokes the whole family, since someone else has a copy.
CREATE TABLE IF NOT EXISTS api_refresh_tokens (
  token_hash  TEXT        NOT NULL PRIMARY KEY,
  family_id   UUID        NOT NULL,
  username    TEXT        NOT NULL,
  issued_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at  TIMESTAMPTZ NOT NULL,
  used_at     TIMESTAMPTZ,
  revoked_at  TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS api_refresh_tokens_family ON api_refresh_tokens (family_id);

CREATE TABLE IF NOT EXISTS api_keys (
  key_id      UUID        NOT NULL PRIMARY KEY,
  key_hash    TEXT        NOT NULL UNIQUE,
  name        TEXT        NOT NULL,
  -- The key acts as this user, with at most these scopes (and never more than the user's role has now).
  username    TEXT        NOT NULL,
  scopes      TEXT[]      NOT NULL,
  created_by  TEXT        NOT NULL,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at  TIMESTAMPTZ,
  revoked_at  TIMESTAMPTZ,
  last_used_at TIMESTAMPTZ
);

-- Failed logins, for the lockout (5 per user or per address in 15 minutes). Old rows are pruned on write.
CREATE TABLE IF NOT EXISTS api_login_failures (
  failure_id UUID        NOT NULL PRIMARY KEY DEFAULT gen_random_uuid(),
  username   TEXT        NOT NULL,
  address    TEXT        NOT NULL,
  failed_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS api_login_failures_username ON api_login_failures (username, failed_at);
CREATE INDEX IF NOT EXISTS api_login_failures_address ON api_login_failures (address, failed_at);
