/**
 * The interactions the server implements, with their HTTP shape. The Fastify routes are registered
 * from this table and /metadata lists it, so the two cannot drift apart.
 */
export type TypeInteraction = 'read' | 'vread' | 'update' | 'delete' | 'history-instance' | 'create' | 'search-type';

export interface RouteShape {
  readonly interaction: TypeInteraction | 'search-type-post' | 'everything';
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Under /<type>. */
  readonly path: string;
}

export const TYPE_ROUTES: readonly RouteShape[] = [
  { interaction: 'search-type', method: 'GET', path: '' },
  { interaction: 'create', method: 'POST', path: '' },
  { interaction: 'search-type-post', method: 'POST', path: '/_search' },
  { interaction: 'read', method: 'GET', path: '/:id' },
  { interaction: 'update', method: 'PUT', path: '/:id' },
  { interaction: 'delete', method: 'DELETE', path: '/:id' },
  { interaction: 'history-instance', method: 'GET', path: '/:id/_history' },
  { interaction: 'vread', method: 'GET', path: '/:id/_history/:vid' },
];

/** What /metadata says per type (search-type-post is search-type over POST). */
export const TYPE_INTERACTIONS: readonly TypeInteraction[] = ['read', 'vread', 'update', 'delete', 'history-instance', 'create', 'search-type'];

/** Operations, per resource type. */
export const OPERATIONS = [
  { type: 'Patient', name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' },
] as const;

export const SYSTEM_INTERACTIONS = ['batch', 'transaction'] as const;

/** Entries a batch or transaction Bundle may carry. */
export const MAX_BUNDLE_ENTRIES = 1000;
/** Largest request body, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;
