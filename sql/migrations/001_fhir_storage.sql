-- FHIR storage on top of the seed schema (sql/schema.sql runs first). Idempotent: a lab deployed
-- before the API upgrades by running deploy again, which applies this file once more.
--
-- Every resource table keeps the seed's columns (verify and the suites read them; they double as the
-- search columns) and gains the resource as JSON, its version and when it last changed. Rows loaded
-- by COPY have no JSON: the API reads them back from their columns (src/api/resources/*). Columns a
-- FHIR resource may leave empty lose their NOT NULL. How new tables are distributed is decided in
-- src/activities/postgres/schema.ts (TABLE_PLAN), like the seed's.

-- New reference table: Organization.
CREATE TABLE IF NOT EXISTS organizaciones (
  organizacion_id BIGINT NOT NULL PRIMARY KEY,
  nombre          TEXT
);

-- New distributed table: Procedure, in the patient's compartment.
CREATE TABLE IF NOT EXISTS procedimientos (
  documento_id     BIGINT NOT NULL,
  procedimiento_id BIGINT NOT NULL,
  codigo           TEXT,
  sistema          TEXT,
  descripcion      TEXT,
  estado           TEXT,
  fecha            TIMESTAMPTZ,
  medico_id        BIGINT,
  PRIMARY KEY (documento_id, procedimiento_id)
);

-- Every version of every compartment resource (the current one included), next to its patient: one
-- shard group holds a patient's resources and their history. Deletes are versions without JSON.
CREATE TABLE IF NOT EXISTS historia_clinica (
  documento_id  BIGINT      NOT NULL,
  tipo          TEXT        NOT NULL,
  local_id      BIGINT      NOT NULL,  -- 0 for the Patient itself
  version_id    BIGINT      NOT NULL,
  last_updated  TIMESTAMPTZ NOT NULL,
  eliminado     BOOLEAN     NOT NULL DEFAULT false,
  resource      JSONB,
  PRIMARY KEY (documento_id, tipo, local_id, version_id)
);

-- The same for reference-table resources (Practitioner, Organization): a reference table itself.
CREATE TABLE IF NOT EXISTS historia_referencia (
  tipo          TEXT        NOT NULL,
  local_id      BIGINT      NOT NULL,
  version_id    BIGINT      NOT NULL,
  last_updated  TIMESTAMPTZ NOT NULL,
  eliminado     BOOLEAN     NOT NULL DEFAULT false,
  resource      JSONB,
  PRIMARY KEY (tipo, local_id, version_id)
);

-- Keys the server assigns; the sample data's keys stay below 10^12 (src/api/storage/fhirIds.ts).
CREATE SEQUENCE IF NOT EXISTS fhir_id_seq START WITH 1000000000000 MINVALUE 1000000000000;

ALTER TABLE pacientes      ADD COLUMN IF NOT EXISTS resource JSONB, ADD COLUMN IF NOT EXISTS version_id BIGINT NOT NULL DEFAULT 1, ADD COLUMN IF NOT EXISTS last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE medicos        ADD COLUMN IF NOT EXISTS resource JSONB, ADD COLUMN IF NOT EXISTS version_id BIGINT NOT NULL DEFAULT 1, ADD COLUMN IF NOT EXISTS last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE organizaciones ADD COLUMN IF NOT EXISTS resource JSONB, ADD COLUMN IF NOT EXISTS version_id BIGINT NOT NULL DEFAULT 1, ADD COLUMN IF NOT EXISTS last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE observaciones  ADD COLUMN IF NOT EXISTS resource JSONB, ADD COLUMN IF NOT EXISTS version_id BIGINT NOT NULL DEFAULT 1, ADD COLUMN IF NOT EXISTS last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE medicamentos   ADD COLUMN IF NOT EXISTS resource JSONB, ADD COLUMN IF NOT EXISTS version_id BIGINT NOT NULL DEFAULT 1, ADD COLUMN IF NOT EXISTS last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE diagnosticos   ADD COLUMN IF NOT EXISTS resource JSONB, ADD COLUMN IF NOT EXISTS version_id BIGINT NOT NULL DEFAULT 1, ADD COLUMN IF NOT EXISTS last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE encuentros     ADD COLUMN IF NOT EXISTS resource JSONB, ADD COLUMN IF NOT EXISTS version_id BIGINT NOT NULL DEFAULT 1, ADD COLUMN IF NOT EXISTS last_updated TIMESTAMPTZ NOT NULL DEFAULT now();
ALTER TABLE procedimientos ADD COLUMN IF NOT EXISTS resource JSONB, ADD COLUMN IF NOT EXISTS version_id BIGINT NOT NULL DEFAULT 1, ADD COLUMN IF NOT EXISTS last_updated TIMESTAMPTZ NOT NULL DEFAULT now();

-- A resource may leave these empty (a Practitioner without a registration, a Condition without onset).
ALTER TABLE medicos      ALTER COLUMN nombre DROP NOT NULL, ALTER COLUMN apellido DROP NOT NULL,
                         ALTER COLUMN especialidad DROP NOT NULL, ALTER COLUMN registro_profesional DROP NOT NULL;
ALTER TABLE medicamentos ALTER COLUMN codigo_atc DROP NOT NULL, ALTER COLUMN nombre DROP NOT NULL, ALTER COLUMN dosis DROP NOT NULL,
                         ALTER COLUMN frecuencia DROP NOT NULL, ALTER COLUMN fecha_inicio DROP NOT NULL;
ALTER TABLE diagnosticos ALTER COLUMN codigo_cie10 DROP NOT NULL, ALTER COLUMN descripcion DROP NOT NULL,
                         ALTER COLUMN estado DROP NOT NULL, ALTER COLUMN fecha_diagnostico DROP NOT NULL;
ALTER TABLE encuentros   ALTER COLUMN tipo DROP NOT NULL, ALTER COLUMN motivo DROP NOT NULL, ALTER COLUMN fecha_inicio DROP NOT NULL;

-- One Patient per documento_id: the id is the documento_id (unique indexes on a distributed table
-- must contain its distribution column; this one is only that).
CREATE UNIQUE INDEX IF NOT EXISTS pacientes_documento_id_key ON pacientes (documento_id);
-- No other index: a patient's few rows are found through the primary key's documento_id prefix, and
-- every extra index would slow the sample COPY.
