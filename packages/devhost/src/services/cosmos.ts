import { CosmosClient } from '@azure/cosmos';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import type { Server } from 'node:https';
import https from 'node:https';

/** The Cosmos DB emulator's published, emulator-only key (any key works against @vercel/cosmosdb-server). */
export const EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface RunningCosmos {
  endpoint: string;
  server: Server;
  stop(): Promise<void>;
}

/** Starts the Cosmos DB SQL API server in this process (self-signed TLS, in-memory data). */
export async function startCosmos(port: number): Promise<RunningCosmos> {
  const server = createHttpsServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `https://127.0.0.1:${port}`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
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
