import type { Container } from '@azure/cosmos';
import type { BlobServiceClient } from '@azure/storage-blob';
import { getImagesBlobService } from '../../storage/blobServiceClient';
import { getImagesContainer } from '../../storage/cosmosClient';
import { getSettings, type Settings } from '../../config/settings';

/** What the HTTP functions read: settings, the images account and the document container. */
export interface ImageHttpDeps {
  settings: Settings;
  blobService: BlobServiceClient;
  documents: Container;
  /** Whether App Service authentication is on (default: the platform's `WEBSITE_AUTH_ENABLED`). */
  authEnabled?: boolean;
}

/** Resolved on first request, so importing a function module builds no clients and reads no settings. */
export function productionHttpDeps(): ImageHttpDeps {
  return { settings: getSettings(), blobService: getImagesBlobService(), documents: getImagesContainer() };
}
