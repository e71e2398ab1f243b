/**
 * The sample clinical data set, as a pure function of the patient count: the same `patients` always
 * yields the same rows, so verification can compute exactly what the cluster must hold. Rows come out
 * as PostgreSQL COPY text lines (tab-separated, `\N` for NULL); no value needs escaping.
 */

export const MEDICOS = 20;
export const USUARIOS = 10;
export const OBSERVATIONS_PER_PATIENT = 3;
/** Patient n (1-based) has documento_id DOCUMENT_BASE + n: ten digits, like a national id number. */
export const DOCUMENT_BASE = 1_000_000_000;
/**
 * Every key of the sample set stays below this; keys the FHIR API assigns start here (the
 * fhir_id_seq sequence of sql/migrations/001_fhir_storage.sql), so the sample rows stay countable
 * after the API wrote next to them.
 */
export const SERVER_ASSIGNED_ID_BASE = 1_000_000_000_000;

const NOMBRES = [
  'Ana', 'Carlos', 'María', 'José', 'Lucía', 'Andrés', 'Sofía', 'Miguel', 'Valentina', 'Juan',
  'Camila', 'Diego', 'Isabella', 'Santiago', 'Daniela', 'Alejandro', 'Gabriela', 'Felipe', 'Paula', 'Mateo',
  'Laura', 'Sebastián', 'Natalia', 'Nicolás', 'Carolina', 'David', 'Juliana', 'Javier', 'Elena', 'Tomás',
];
const APELLIDOS = [
  'García', 'Rodríguez', 'Martínez', 'López', 'González', 'Pérez', 'Sánchez', 'Ramírez', 'Torres', 'Flores',
  'Rivera', 'Gómez', 'Díaz', 'Reyes', 'Morales', 'Cruz', 'Ortiz', 'Gutiérrez', 'Castro', 'Vargas',
  'Romero', 'Herrera', 'Medina', 'Aguilar', 'Jiménez', 'Ruiz', 'Álvarez', 'Moreno', 'Rojas', 'Mendoza',
];
const ESPECIALIDADES = [
  'Medicina interna', 'Cardiología', 'Pediatría', 'Endocrinología', 'Neumología',
  'Medicina familiar', 'Neurología', 'Ginecología', 'Urgencias', 'Geriatría',
];

/** LOINC vital signs and labs, with the range each value is drawn from (in tenths of the unit). */
export const OBSERVATION_CODES = [
  { codigo: '8867-4', name: 'heart rate', minTenths: 550, spanTenths: 551 },
  { codigo: '8480-6', name: 'systolic blood pressure', minTenths: 950, spanTenths: 751 },
  { codigo: '8310-5', name: 'body temperature', minTenths: 355, spanTenths: 41 },
  { codigo: '29463-7', name: 'body weight', minTenths: 450, spanTenths: 751 },
  { codigo: '2339-0', name: 'glucose', minTenths: 700, spanTenths: 1301 },
] as const;

const MEDICAMENTOS = [
  ['C09AA02', 'Enalapril', '10 mg'],
  ['A10BA02', 'Metformina', '850 mg'],
  ['C10AA05', 'Atorvastatina', '20 mg'],
  ['N02BE01', 'Paracetamol', '500 mg'],
  ['R03AC02', 'Salbutamol', '100 mcg'],
  ['C07AB07', 'Bisoprolol', '5 mg'],
  ['A02BC01', 'Omeprazol', '20 mg'],
  ['H03AA01', 'Levotiroxina', '50 mcg'],
] as const;
const FRECUENCIAS = ['cada 8 horas', 'cada 12 horas', 'cada 24 horas', 'según necesidad'];

const DIAGNOSTICOS = [
  ['I10', 'Hipertensión esencial'],
  ['E11.9', 'Diabetes mellitus tipo 2 sin complicaciones'],
  ['J45.9', 'Asma no especificada'],
  ['E78.5', 'Hiperlipidemia no especificada'],
  ['K21.9', 'Reflujo gastroesofágico sin esofagitis'],
  ['E03.9', 'Hipotiroidismo no especificado'],
  ['M54.5', 'Lumbago no especificado'],
  ['J06.9', 'Infección aguda de vías respiratorias superiores'],
] as const;

const TIPOS_ENCUENTRO = [
  ['ambulatorio', 'Control de rutina'],
  ['ambulatorio', 'Seguimiento de tratamiento'],
  ['urgencias', 'Dolor torácico'],
  ['urgencias', 'Fiebre persistente'],
  ['hospitalizacion', 'Descompensación metabólica'],
] as const;

const ROLES = ['admin', 'auditor', 'practitioner', 'practitioner', 'practitioner', 'practitioner',
  'practitioner', 'practitioner', 'patient', 'patient'] as const;

/**
 * `Math.imul` by plain arithmetic. The generator runs a few million times per load, and under jest's vm
 * sandbox every call into a `Math` builtin costs ~100x more, which would hide what COPY itself costs.
 */
export function mul32(a: number, b: number): number {
  // Both partial products stay below 2^53, so they are exact before the final wrap to 32 bits.
  return ((((a >>> 16) * b) & 0xffff) * 0x10000 + (a & 0xffff) * b) | 0;
}

/** A fixed 32-bit integer hash (murmur3 finaliser) of a row number and a field salt. */
export function hash(n: number, salt: number): number {
  let h = mul32(n ^ mul32(salt, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 16;
  h = mul32(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = mul32(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function pick<T>(list: readonly T[], n: number, salt: number): T {
  return list[hash(n, salt) % list.length] as T;
}

/** Per-patient record counts: a pure function of the patient number so totals can be recomputed. */
export const medicamentosOf = (patient: number) => 1 + (patient % 2);
export const diagnosticosOf = (patient: number) => 1 + (patient % 3 === 0 ? 1 : 0);
export const encuentrosOf = (patient: number) => (patient % 4 === 0 ? 1 : 2);

export function documentoOf(patient: number): number {
  return DOCUMENT_BASE + patient;
}

const pad2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const DAY_MS = 86_400_000;
const dayCache = new Map<number, string>();
/** `YYYY-MM-DD` of a day number since 1970-01-01, cached: only a few thousand distinct days occur. */
function isoDay(day: number): string {
  let s = dayCache.get(day);
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    dayCache.set(day, s);
  }
  return s;
}
const DAY_2024_01_01 = Date.UTC(2024, 0, 1) / DAY_MS;
const DAY_1940_01_01 = Date.UTC(1940, 0, 1) / DAY_MS;
/** A UTC timestamp in 2024 at minute resolution. */
function timestamp2024(minuteOfYear: number): string {
  const day = (minuteOfYear / 1440) | 0;
  const minute = minuteOfYear % 1440;
  return `${isoDay(DAY_2024_01_01 + day)} ${pad2[(minute / 60) | 0]}:${pad2[minute % 60]}:00+00`;
}
const MINUTES_2024 = 366 * 1440;

export function formatTenths(tenths: number): string {
  const units = tenths % 10;
  return `${(tenths - units) / 10}.${units}`;
}

/** Observation number n (1-based, global): its code and value are functions of n alone. */
export function observationOf(n: number): { codeIndex: number; tenths: number } {
  const codeIndex = (n - 1) % OBSERVATION_CODES.length;
  const code = OBSERVATION_CODES[codeIndex] as (typeof OBSERVATION_CODES)[number];
  return { codeIndex, tenths: code.minTenths + (hash(n, 11) % code.spanTenths) };
}

export interface SampleTable {
  readonly table: string;
  readonly columns: readonly string[];
  /** The row's own id column: below SERVER_ASSIGNED_ID_BASE for every sample row. */
  readonly idColumn: string;
  expectedRows(patients: number): number;
  /** COPY text lines, each ending in a newline. */
  lines(patients: number): Generator<string>;
}

function sumOver(patients: number, perPatient: (p: number) => number): number {
  let total = 0;
  for (let p = 1; p <= patients; p++) total += perPatient(p);
  return total;
}

const NULL = '\\N';
const medicoOf = (n: number, salt: number) => 1 + (hash(n, salt) % MEDICOS);

/** In load order: reference tables first, then each patient-keyed table. */
export const SAMPLE_TABLES: readonly SampleTable[] = [
  {
    table: 'medicos',
    idColumn: 'medico_id',
    columns: ['medico_id', 'nombre', 'apellido', 'especialidad', 'registro_profesional'],
    expectedRows: () => MEDICOS,
    *lines() {
      for (let m = 1; m <= MEDICOS; m++) {
        yield `${m}\t${pick(NOMBRES, m, 21)}\t${pick(APELLIDOS, m, 22)}\t${ESPECIALIDADES[(m - 1) % ESPECIALIDADES.length]}\tRM-${String(m).padStart(6, '0')}\n`;
      }
    },
  },
  {
    table: 'usuario',
    idColumn: 'usuario_id',
    columns: ['usuario_id', 'username', 'nombre_completo', 'rol', 'medico_id'],
    expectedRows: () => USUARIOS,
    *lines() {
      for (let u = 1; u <= USUARIOS; u++) {
        const rol = ROLES[(u - 1) % ROLES.length] as string;
        const medico = rol === 'practitioner' ? String(u) : NULL;
        yield `${u}\t${rol}${u}\t${pick(NOMBRES, u, 31)} ${pick(APELLIDOS, u, 32)}\t${rol}\t${medico}\n`;
      }
    },
  },
  {
    table: 'pacientes',
    idColumn: 'paciente_id',
    columns: ['documento_id', 'paciente_id', 'nombre', 'apellido', 'fecha_nacimiento'],
    expectedRows: (patients) => patients,
    *lines(patients) {
      for (let p = 1; p <= patients; p++) {
        const born = isoDay(DAY_1940_01_01 + (hash(p, 3) % 29_000));
        yield `${documentoOf(p)}\t${p}\t${pick(NOMBRES, p, 1)}\t${pick(APELLIDOS, p, 2)}\t${born}\n`;
      }
    },
  },
  {
    table: 'observaciones',
    idColumn: 'observacion_id',
    columns: ['documento_id', 'observacion_id', 'codigo', 'valor', 'fecha'],
    expectedRows: (patients) => patients * OBSERVATIONS_PER_PATIENT,
    *lines(patients) {
      let n = 0;
      for (let p = 1; p <= patients; p++) {
        const documento = documentoOf(p);
        for (let k = 0; k < OBSERVATIONS_PER_PATIENT; k++) {
          n++;
          const { codeIndex, tenths } = observationOf(n);
          const codigo = OBSERVATION_CODES[codeIndex]?.codigo;
          yield `${documento}\t${n}\t${codigo}\t${formatTenths(tenths)}\t${timestamp2024(hash(n, 12) % MINUTES_2024)}\n`;
        }
      }
    },
  },
  {
    table: 'medicamentos',
    idColumn: 'medicamento_id',
    columns: ['documento_id', 'medicamento_id', 'codigo_atc', 'nombre', 'dosis', 'frecuencia', 'fecha_inicio', 'fecha_fin', 'medico_id'],
    expectedRows: (patients) => sumOver(patients, medicamentosOf),
    *lines(patients) {
      let n = 0;
      for (let p = 1; p <= patients; p++) {
        const documento = documentoOf(p);
        for (let k = medicamentosOf(p); k > 0; k--) {
          n++;
          const [atc, nombre, dosis] = pick(MEDICAMENTOS, n, 41);
          const start = DAY_2024_01_01 + (hash(n, 42) % 300);
          const end = hash(n, 43) % 3 === 0 ? isoDay(start + 7 + (hash(n, 44) % 60)) : NULL;
          yield `${documento}\t${n}\t${atc}\t${nombre}\t${dosis}\t${pick(FRECUENCIAS, n, 45)}\t${isoDay(start)}\t${end}\t${medicoOf(n, 46)}\n`;
        }
      }
    },
  },
  {
    table: 'diagnosticos',
    idColumn: 'diagnostico_id',
    columns: ['documento_id', 'diagnostico_id', 'codigo_cie10', 'descripcion', 'estado', 'fecha_diagnostico', 'medico_id'],
    expectedRows: (patients) => sumOver(patients, diagnosticosOf),
    *lines(patients) {
      let n = 0;
      for (let p = 1; p <= patients; p++) {
        const documento = documentoOf(p);
        for (let k = diagnosticosOf(p); k > 0; k--) {
          n++;
          const [cie10, descripcion] = pick(DIAGNOSTICOS, n, 51);
          const estado = hash(n, 52) % 4 === 0 ? 'resuelto' : 'activo';
          yield `${documento}\t${n}\t${cie10}\t${descripcion}\t${estado}\t${isoDay(DAY_2024_01_01 - (hash(n, 53) % 3650))}\t${medicoOf(n, 54)}\n`;
        }
      }
    },
  },
  {
    table: 'encuentros',
    idColumn: 'encuentro_id',
    columns: ['documento_id', 'encuentro_id', 'tipo', 'motivo', 'fecha_inicio', 'fecha_fin', 'medico_id'],
    expectedRows: (patients) => sumOver(patients, encuentrosOf),
    *lines(patients) {
      let n = 0;
      for (let p = 1; p <= patients; p++) {
        const documento = documentoOf(p);
        for (let k = encuentrosOf(p); k > 0; k--) {
          n++;
          const [tipo, motivo] = pick(TIPOS_ENCUENTRO, n, 61);
          const start = hash(n, 62) % (MINUTES_2024 - 2 * 1440);
          const minutes = tipo === 'hospitalizacion' ? 1440 + (hash(n, 63) % 1440) : 20 + (hash(n, 63) % 100);
          yield `${documento}\t${n}\t${tipo}\t${motivo}\t${timestamp2024(start)}\t${timestamp2024(start + minutes)}\t${medicoOf(n, 64)}\n`;
        }
      }
    },
  },
];

export function expectedRowCounts(patients: number): Record<string, number> {
  return Object.fromEntries(SAMPLE_TABLES.map((t) => [t.table, t.expectedRows(patients)]));
}

export interface CodeAggregate {
  readonly codigo: string;
  readonly count: number;
  /** Exact sum of `valor`, as PostgreSQL prints a NUMERIC with one decimal. */
  readonly sum: string;
}

/** What `SELECT codigo, count(*), sum(valor) FROM observaciones GROUP BY codigo` must return. */
export function expectedObservationAggregates(patients: number): CodeAggregate[] {
  const totals = OBSERVATION_CODES.map((c) => ({ codigo: c.codigo, count: 0, tenths: 0 }));
  const observations = patients * OBSERVATIONS_PER_PATIENT;
  for (let n = 1; n <= observations; n++) {
    const { codeIndex, tenths } = observationOf(n);
    const total = totals[codeIndex];
    if (total) {
      total.count += 1;
      total.tenths += tenths;
    }
  }
  return totals.filter((t) => t.count > 0).map((t) => ({ codigo: t.codigo, count: t.count, sum: formatTenths(t.tenths) }));
}
