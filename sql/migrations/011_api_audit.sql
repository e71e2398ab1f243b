-- The audit trail of the clinical API (src/api/audit): one FHIR AuditEvent per interaction.
-- Distributed by documento_id and co-located with pacientes (src/activities/postgres/schema.ts), so a
-- patient's trail lives on the same shard group as their record: a write and its AuditEvent commit in
-- one single-shard transaction, and `AuditEvent?patient=X` is a router query.
--
-- Events that concern no patient (logins, token refresh, admin changes, searches across patients) use
-- documento_id 0, which no patient has: they stay in the same table and the same search, at the cost
-- of one shard holding all of them (they are few next to clinical reads). A reference table for them
-- was the alternative; it would make every login a write replicated to every node.
CREATE TABLE IF NOT EXISTS api_audit_events (
  documento_id BIGINT      NOT NULL,
  event_id     UUID        NOT NULL,
  recorded     TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  -- FHIR AuditEvent.action: C create, R read/search, U update, D delete, E execute (login, $everything...).
  action       CHAR(1)     NOT NULL CHECK (action IN ('C', 'R', 'U', 'D', 'E')),
  -- What happened, e.g. read, search-type, create, login, refresh, api-key-use, admin-user-update.
  subtype      TEXT        NOT NULL,
  agent        TEXT        NOT NULL,   -- username, or what a failed login claimed to be
  agent_role   TEXT,
  api_key_id   UUID,
  address      TEXT        NOT NULL,
  method       TEXT        NOT NULL,
  path         TEXT        NOT NULL,   -- the request line's path and query, as received
  entity       TEXT,                   -- Type/id, or Type?query for searches
  status       INTEGER     NOT NULL,   -- HTTP status answered
  outcome      TEXT        NOT NULL CHECK (outcome IN ('0', '4', '8', '12')),
  detail       TEXT,
  PRIMARY KEY (documento_id, event_id)
);
CREATE INDEX IF NOT EXISTS api_audit_events_recorded ON api_audit_events (documento_id, recorded, event_id);
CREATE INDEX IF NOT EXISTS api_audit_events_agent ON api_audit_events (agent, recorded);
