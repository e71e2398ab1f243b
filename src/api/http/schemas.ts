/**
 * JSON schemas of the routes: what /openapi.json and /docs show, and what Fastify checks before a
 * handler runs (path parameters). Bodies are FHIR resources, checked by the R4 validator instead;
 * responses are described, never filtered (a response schema would drop unknown properties).
 */
import { DEFAULT_COUNT, MAX_COUNT, parametersOf } from '../fhir/searchParameters.js';
import { definitionOf } from '../resources/index.js';

const resource = (description: string) => ({ description, type: 'object', additionalProperties: true });
const outcomeResponse = { description: 'OperationOutcome explaining the failure', type: 'object', additionalProperties: true };
const errors = { 400: outcomeResponse, 404: outcomeResponse, 422: outcomeResponse, 503: outcomeResponse };
const idParam = { type: 'object', properties: { id: { type: 'string', description: 'FHIR id (see README: ids and shards)' } }, required: ['id'] };

function searchQuery(type: string) {
  const def = definitionOf(type);
  const params = def ? [...parametersOf(def).values()] : [];
  return {
    type: 'object',
    additionalProperties: true,
    properties: {
      ...Object.fromEntries(params.map((p) => [p.name, { description: `${p.type}: ${p.description}` }])),
      _count: { description: `Page size (default ${DEFAULT_COUNT}, at most ${MAX_COUNT})` },
      _sort: { description: '_id, _lastUpdated or date; prefix - for descending' },
      _total: { description: 'none (default) or accurate' },
      _cursor: { description: 'Opaque; set by the next/previous links' },
    },
  };
}

export function routeSchema(interaction: string, type = ''): Record<string, unknown> {
  const tags = type ? [type] : ['server'];
  switch (interaction) {
    case 'health':
      return { tags, summary: 'The process is up', response: { 200: resource('{"status":"up"}') } };
    case 'ready':
      return { tags, summary: 'The database answers', response: { 200: resource('{"status":"ready"}'), 503: outcomeResponse } };
    case 'metrics':
      return { tags, summary: 'Prometheus metrics', produces: ['text/plain'] };
    case 'metadata':
      return { tags, summary: 'CapabilityStatement', response: { 200: resource('CapabilityStatement') } };
    case 'bundle':
      return { tags, summary: 'batch or transaction Bundle', body: resource('Bundle of type batch or transaction'), response: { 200: resource('Bundle batch-response / transaction-response'), ...errors } };
    case 'search-type':
      return { tags, summary: `Search ${type}`, querystring: searchQuery(type), response: { 200: resource('Bundle searchset'), ...errors } };
    case 'search-type-post':
      return { tags, summary: `Search ${type} (form parameters)`, response: { 200: resource('Bundle searchset'), ...errors } };
    case 'create':
      return { tags, summary: `Create a ${type}`, body: resource(type), response: { 201: resource(type), 200: resource(`existing ${type} (If-None-Exist)`), ...errors } };
    case 'read':
      return { tags, summary: `Read a ${type}`, params: idParam, response: { 200: resource(type), 410: outcomeResponse, ...errors } };
    case 'update':
      return { tags, summary: `Update a ${type} (If-Match for optimistic locking)`, params: idParam, body: resource(type), response: { 200: resource(type), 412: outcomeResponse, ...errors } };
    case 'delete':
      return { tags, summary: `Delete a ${type} (kept in its history)`, params: idParam, response: { 200: resource('OperationOutcome'), 409: outcomeResponse, ...errors } };
    case 'history-instance':
      return { tags, summary: `Versions of a ${type}`, params: idParam, response: { 200: resource('Bundle history'), ...errors } };
    case 'vread':
      return {
        tags,
        summary: `One version of a ${type}`,
        params: { type: 'object', properties: { id: { type: 'string' }, vid: { type: 'string' } }, required: ['id', 'vid'] },
        response: { 200: resource(type), 410: outcomeResponse, ...errors },
      };
    case 'everything':
      return { tags, summary: "The patient's whole compartment, from one shard", params: idParam, response: { 200: resource('Bundle searchset'), ...errors } };
    default:
      return { tags };
  }
}
