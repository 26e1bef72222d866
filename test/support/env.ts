import { inject } from 'vitest';
import type { Env } from '../../src/config/settings';

/** App settings pointing at the Azurite and Cosmos servers the global setup started. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Env {
  return {
    AzureWebJobsStorage: inject('azuriteConnectionString'),
    IMAGES_STORAGE: inject('azuriteConnectionString'),
    COSMOS__accountEndpoint: inject('cosmosEndpoint'),
    COSMOS__key: inject('cosmosKey'),
    UNPROCESSED_CONTAINER: 'images-unprocessed',
    PROCESSED_CONTAINER: 'images-processed',
    COSMOS_DATABASE: 'MediaCorp',
    COSMOS_CONTAINER: 'Images',
    ...overrides,
  };
}
