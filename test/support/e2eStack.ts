import { existsSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { CosmosClient, type Container } from '@azure/cosmos';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { inject } from 'vitest';
import { freePort, startStack, type RunningStack, type StackOptions } from '@image-derivatives/devhost';

/**
 * One home for the end-to-end setup: the local stack (compiled app, local host, Durable engine, Event Grid
 * publisher) against the Azurite and Cosmos servers that packages/devhost/test/globalSetup.ts starts.
 */

/** The repository root: the stack loads the compiled app (dist/, built by `npm test`) from here. */
export const repoRoot = path.resolve(__dirname, '../..');
/** The app's default source and derivative containers (src/config/settings.ts). */
export const UNPROCESSED = 'images-unprocessed';
export const PROCESSED = 'images-processed';

/** Throws a clear error when dist/src/index.js is missing (the e2e tests run the compiled app). */
export function requireCompiledApp(): void {
  if (!existsSync(path.join(repoRoot, 'dist/src/index.js'))) {
    throw new Error(
      'dist/src/index.js is missing: the e2e tests run the compiled app; run `npm run build` (npm test does).',
    );
  }
}

/** A Cosmos client for the local Cosmos server, whose TLS certificate is self-signed. */
export function localCosmosClient(endpoint: string, key: string): CosmosClient {
  return new CosmosClient({ endpoint, key, agent: new https.Agent({ rejectUnauthorized: false }) });
}

/** The image documents' container (database `MediaCorp`, container `Images`: the app's defaults). */
export function imageDocuments(cosmos: CosmosClient): Container {
  return cosmos.database('MediaCorp').container('Images');
}

/** Clients of a running stack: its default source and derivative containers, and its documents. */
export interface StackClients {
  unprocessed: ContainerClient;
  processed: ContainerClient;
  cosmos: CosmosClient;
  documents: Container;
}

/**
 * The clients of `stack`. Blob writes go through `connectionString`: by default the stack's (its event proxy,
 * so uploads raise BlobCreated); `stack.directConnectionString` when a test delivers every event itself.
 */
export function stackClients(stack: RunningStack, connectionString = stack.connectionString): StackClients {
  const blobs = BlobServiceClient.fromConnectionString(connectionString);
  const cosmos = localCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
  return {
    unprocessed: blobs.getContainerClient(UNPROCESSED),
    processed: blobs.getContainerClient(PROCESSED),
    cosmos,
    documents: imageDocuments(cosmos),
  };
}

/** Host log entries as the stack's logger receives them. */
export type HostLogEntry = Parameters<NonNullable<StackOptions['logger']>>[0];

/**
 * Starts the in-process stack on a free port with its own in-memory Azurite (free ports) and the shared Cosmos
 * server. Errors and critical host logs go to stderr; `onLog` sees every entry first.
 */
export async function startInMemoryStack(
  options: { settings?: Record<string, string>; onLog?: (entry: HostLogEntry) => void } = {},
): Promise<RunningStack> {
  requireCompiledApp();
  return startStack({
    appRoot: repoRoot,
    port: 0,
    azurite: {
      ports: { blob: await freePort(), queue: await freePort(), table: await freePort() },
      location: 'memory',
    },
    cosmos: { endpoint: inject('cosmosEndpoint'), key: inject('cosmosKey') },
    ...(options.settings ? { settings: options.settings } : {}),
    logger: (entry) => {
      options.onLog?.(entry);
      if (entry.level === 'error' || entry.level === 'critical') console.error(entry.message);
    },
  });
}

/** Polls `probe` every `intervalMs` until it returns a value; throws naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Uploads a block blob with its Content-Type; returns the eTag the service answered (quoted). */
export async function uploadBlob(
  container: ContainerClient,
  blobName: string,
  data: Buffer,
  contentType = 'image/jpeg',
): Promise<string> {
  const response = await container
    .getBlockBlobClient(blobName)
    .uploadData(data, { blobHTTPHeaders: { blobContentType: contentType } });
  return response.etag ?? '';
}
