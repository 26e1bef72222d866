import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { getSettings, type BlobConnection } from '../config/settings';
import { createCredential } from './credential';

export interface BlobClientOptions {
  /** Overrides the credential the settings ask for (tests; never needed in Azure). */
  credential?: TokenCredential;
  /** Retry and transport options, e.g. `{ retryOptions: { maxTries: 1 } }` in tests. */
  pipeline?: StoragePipelineOptions;
}

/** A connection string only for emulators (Azurite); identity (`__blobServiceUri` + Entra token) everywhere else. */
export function createBlobServiceClient(
  connection: BlobConnection,
  options: BlobClientOptions = {},
): BlobServiceClient {
  if (connection.kind === 'connectionString') {
    return BlobServiceClient.fromConnectionString(connection.connectionString, options.pipeline);
  }
  const credential = options.credential ?? createCredential(connection.credential);
  return new BlobServiceClient(connection.serviceUri, credential, options.pipeline);
}

let imagesBlobService: BlobServiceClient | undefined;

/** The images account's client, built once per worker: it holds the HTTP connection pool and token cache. */
export function getImagesBlobService(): BlobServiceClient {
  imagesBlobService ??= createBlobServiceClient(getSettings().images);
  return imagesBlobService;
}
