/**
 * Makes sure the lab's custom search attributes exist in a namespace before a workflow sets them
 * (a workflow task that upserts an unknown attribute fails). Idempotent: lists first, adds only what
 * is missing, and tolerates a concurrent run adding the same ones.
 */
import type { Connection } from '@temporalio/client';
import { LAB_SEARCH_ATTRIBUTES } from './searchAttributes.js';

// Wire values from the Temporal API (temporal.api.enums.v1.IndexedValueType, gRPC status codes);
// spelled out so this module needs no transitive package (@temporalio/proto, @grpc/grpc-js).
const INDEXED_VALUE_TYPE_KEYWORD = 2;
const GRPC_ALREADY_EXISTS = 6;

/** Returns the names it added (empty when all were there already). */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await listCustomAttributes(connection, namespace);
  const missing = LAB_SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !(name in existing));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, INDEXED_VALUE_TYPE_KEYWORD])),
    });
  } catch (err) {
    if ((err as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw err;
  }
  return missing;
}

export async function listCustomAttributes(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const response = await connection.operatorService.listSearchAttributes({ namespace });
  return response.customAttributes ?? {};
}
