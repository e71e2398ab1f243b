-- citus-lab clinical-records schema (FHIR-flavoured, as in the seed lab's 02-schema-fhir.sql).
-- Plain, idempotent DDL only: how each table is spread over the cluster (distributed by documento_id
-- and co-located with pacientes, or replicated as a reference table) is decided in
-- src/activities/postgres/schema.ts, table by table, so a re-run changes nothing.
--
-- Citus requires every primary key of a distributed table to include its distribution column, hence
-- the composite keys on documento_id. medico_id columns point at the medicos reference table without a
-- foreign key: the sample data is generated consistent, and bulk COPY stays fast without per-row checks.

-- Reference tables: small, read everywhere, a full copy on every node.
CREATE TABLE IF NOT EXISTS medicos (
  medico_id            BIGINT NOT NULL PRIMARY KEY,
  nombre               TEXT   NOT NULL,
  apellido             TEXT   NOT NULL,
  especialidad         TEXT   NOT NULL,
  registro_profesional TEXT   NOT NULL
);

CREATE TABLE IF NOT EXISTS usuario (
  usuario_id      BIGINT NOT NULL PRIMARY KEY,
  username        TEXT   NOT NULL UNIQUE,
  nombre_completo TEXT   NOT NULL,
  rol             TEXT   NOT NULL,  -- admin, practitioner, patient, auditor
  medico_id       BIGINT            -- set for practitioners
);

-- Distributed tables: one patient's records live on one shard group (documento_id).
CREATE TABLE IF NOT EXISTS pacientes (
  documento_id     BIGINT NOT NULL,
  paciente_id      BIGINT NOT NULL,
  nombre           TEXT,
  apellido         TEXT,
  fecha_nacimiento DATE,
  PRIMARY KEY (documento_id, paciente_id)
);

CREATE TABLE IF NOT EXISTS observaciones (
  documento_id   BIGINT NOT NULL,
  observacion_id BIGINT NOT NULL,
  codigo         TEXT,             -- LOINC code
  valor          NUMERIC,
  fecha          TIMESTAMPTZ DEFAULT now(),
  PRIMARY KEY (documento_id, observacion_id)
);

CREATE TABLE IF NOT EXISTS medicamentos (
  documento_id   BIGINT NOT NULL,
  medicamento_id BIGINT NOT NULL,
  codigo_atc     TEXT   NOT NULL,  -- WHO ATC code
  nombre         TEXT   NOT NULL,
  dosis          TEXT   NOT NULL,
  frecuencia     TEXT   NOT NULL,
  fecha_inicio   DATE   NOT NULL,
  fecha_fin      DATE,
  medico_id      BIGINT,
  PRIMARY KEY (documento_id, medicamento_id)
);

CREATE TABLE IF NOT EXISTS diagnosticos (
  documento_id      BIGINT NOT NULL,
  diagnostico_id    BIGINT NOT NULL,
  codigo_cie10      TEXT   NOT NULL,  -- ICD-10 code
  descripcion       TEXT   NOT NULL,
  estado            TEXT   NOT NULL,  -- activo, resuelto
  fecha_diagnostico DATE   NOT NULL,
  medico_id         BIGINT,
  PRIMARY KEY (documento_id, diagnostico_id)
);

CREATE TABLE IF NOT EXISTS encuentros (
  documento_id BIGINT      NOT NULL,
  encuentro_id BIGINT      NOT NULL,
  tipo         TEXT        NOT NULL,  -- ambulatorio, urgencias, hospitalizacion
  motivo       TEXT        NOT NULL,
  fecha_inicio TIMESTAMPTZ NOT NULL,
  fecha_fin    TIMESTAMPTZ,
  medico_id    BIGINT,
  PRIMARY KEY (documento_id, encuentro_id)
);
