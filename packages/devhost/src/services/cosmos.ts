import { CosmosClient, type PartitionKeyDefinition, type UniqueKeyPolicy } from '@azure/cosmos';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import type { Server } from 'node:https';
import https from 'node:https';
import { CosmosJournal, type JournalState } from './cosmosJournal';

/** The Cosmos DB emulator's published, emulator-only key (any key works against @vercel/cosmosdb-server). */
export const EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface RunningCosmos {
  endpoint: string;
  server: Server;
  stop(): Promise<void>;
}

/**
 * Starts the Cosmos DB SQL API server in this process (self-signed TLS). Without `location` data lives in
 * memory (tests); with it every write is journaled under that folder and the data is back after a stop, a
 * crash or a restart (see `CosmosJournal`).
 */
export async function startCosmos(
  port: number,
  options: { location?: string; log?: (message: string) => void } = {},
): Promise<RunningCosmos> {
  const server = createHttpsServer();
  const journal =
    options.location === undefined
      ? undefined
      : CosmosJournal.in(options.location, options.log ?? ((message) => console.error(message)));
  const state = journal?.load();
  journal?.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const endpoint = `https://127.0.0.1:${port}`;
  if (state) await restore(endpoint, state);
  journal?.startRecording();
  return {
    endpoint,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Replays the journal's state into a fresh server through the SDK (journaling is off meanwhile). */
async function restore(endpoint: string, state: JournalState): Promise<void> {
  const client = new CosmosClient({
    endpoint,
    key: EMULATOR_KEY,
    agent: new https.Agent({ rejectUnauthorized: false, keepAlive: true }),
  });
  try {
    for (const [databaseId, collections] of state) {
      const { database } = await client.databases.createIfNotExists({ id: databaseId });
      for (const { definition, documents } of collections.values()) {
        const { container } = await database.containers.createIfNotExists({
          id: definition.id,
          ...(definition.partitionKey
            ? { partitionKey: definition.partitionKey as PartitionKeyDefinition }
            : {}),
          ...(definition.uniqueKeyPolicy
            ? { uniqueKeyPolicy: definition.uniqueKeyPolicy as UniqueKeyPolicy }
            : {}),
        });
        const pending = [...documents.values()];
        // A few at a time: the server is this process, so more in flight only queues.
        for (let index = 0; index < pending.length; index += 16) {
          await Promise.all(
            pending.slice(index, index + 16).map((document) => container.items.upsert(document)),
          );
        }
      }
    }
  } finally {
    client.dispose();
  }
}

/** Creates the database and container the app writes to (partition key `/id`, as in Azure). */
export async function ensureCosmosContainer(
  endpoint: string,
  database: string,
  container: string,
): Promise<void> {
  const client = new CosmosClient({
    endpoint,
    key: EMULATOR_KEY,
    agent: new https.Agent({ rejectUnauthorized: false }),
  });
  const { database: db } = await client.databases.createIfNotExists({ id: database });
  await db.containers.createIfNotExists({ id: container, partitionKey: { paths: ['/id'] } });
  client.dispose();
}
