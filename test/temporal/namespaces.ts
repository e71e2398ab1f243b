/** Fresh namespaces on the test server: isolated from every other test's workers and attributes. */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { findTemporalBinary } from '../../src/temporal/temporalBinary.js';

export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: jest globalSetup starts the dev server');
  execFileSync(findTemporalBinary(), ['operator', 'namespace', 'create', '--namespace', name, '--address', address], { stdio: 'ignore' });
  // Registration reaches the server's caches a moment later.
  const connection = await Connection.connect({ address });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await connection.operatorService.listSearchAttributes({ namespace: name });
        return name;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await connection.close();
  }
}
