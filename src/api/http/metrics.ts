/**
 * Prometheus metrics of the API: requests and latency per FHIR interaction, and the pool's use.
 * A registry per server (not prom-client's global one), so two servers in one process do not mix.
 */
import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ApiMetrics {
  readonly registry: Registry;
  observe(interaction: string, type: string, status: number, seconds: number): void;
}

export function createMetrics(pool: pg.Pool): ApiMetrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'fhir_requests_total',
    help: 'FHIR API requests by interaction, resource type and HTTP status.',
    labelNames: ['interaction', 'type', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'fhir_request_duration_seconds',
    help: 'FHIR API request latency by interaction and resource type.',
    labelNames: ['interaction', 'type'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'fhir_db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting requests).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  return {
    registry,
    observe(interaction, type, status, seconds) {
      requests.inc({ interaction, type, status: String(status) });
      latency.observe({ interaction, type }, seconds);
    },
  };
}
