// Fixtures for the stand-in's own tests: a stand-in with a client of it, and what else a test opened, all closed
// after each test, most recent first.
import { EventStoreDBClient } from '@eventstore/db-client';
import { afterEach } from 'vitest';
import { startStandIn, type StandIn, type StandInOptions } from './server.js';

/** Closed after each test, last pushed first: push a subscription here and it ends before its client. */
export const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export function connect(connectionString: string): EventStoreDBClient {
  const client = EventStoreDBClient.connectionString(connectionString);
  cleanups.push(() => client.dispose());
  return client;
}

export async function serve(options: StandInOptions = {}): Promise<{ standIn: StandIn; client: EventStoreDBClient }> {
  const standIn = await startStandIn(options);
  cleanups.push(() => standIn.close());
  return { standIn, client: connect(standIn.connectionString) };
}
