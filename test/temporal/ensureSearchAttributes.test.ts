/** Search attributes against the real dev server, in a fresh namespace that starts without them. */
import { Connection } from '@temporalio/client';
import { ensureSearchAttributes, listCustomAttributes } from '../../src/temporal/ensureSearchAttributes.js';
import { LAB_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes.js';
import { createNamespace } from './namespaces.js';

let connection: Connection;
let namespace: string;
let racedNamespace: string;
const names = LAB_SEARCH_ATTRIBUTES.map((k) => k.name);

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '' });
  namespace = await createNamespace('sa-test');
  racedNamespace = await createNamespace('sa-race');
});

afterAll(async () => {
  await connection?.close();
});

test('adds the missing attributes once, then finds nothing to do', async () => {
  const before = await listCustomAttributes(connection, namespace);
  for (const name of names) expect(before).not.toHaveProperty(name);

  expect((await ensureSearchAttributes(connection, namespace)).sort()).toEqual([...names].sort());
  const after = await listCustomAttributes(connection, namespace);
  for (const name of names) expect(after[name]).toBe(2); // INDEXED_VALUE_TYPE_KEYWORD

  expect(await ensureSearchAttributes(connection, namespace)).toEqual([]);
});

test('two runs adding them at the same time both succeed', async () => {
  await Promise.all([ensureSearchAttributes(connection, racedNamespace), ensureSearchAttributes(connection, racedNamespace)]);
  const after = await listCustomAttributes(connection, racedNamespace);
  for (const name of names) expect(after[name]).toBe(2);
});
