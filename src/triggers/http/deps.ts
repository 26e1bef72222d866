import type { Container } from '@azure/cosmos';
import type { BlobServiceClient } from '@azure/storage-blob';
import { getDerivativesBlobService, getImagesBlobService } from '../../storage/blobServiceClient';
import { getImagesContainer } from '../../storage/cosmosClient';
import { getSettings, type Settings } from '../../config/settings';

/** What the HTTP functions read: settings, the images and derivatives accounts and the document container. */
export interface ImageHttpDeps {
  settings: Settings;
  blobService: BlobServiceClient;
  documents: Container;
  /** The derivatives account (`DERIVATIVES_STORAGE`), read to say what a reprocess will find stored. */
  derivativeBlobService: BlobServiceClient;
  /** Whether App Service authentication is on (default: the platform's `WEBSITE_AUTH_ENABLED`). */
  authEnabled?: boolean;
}

/** Resolved on first request, so importing a function module builds no clients and reads no settings. */
export function productionHttpDeps(): ImageHttpDeps {
  return {
    settings: getSettings(),
    blobService: getImagesBlobService(),
    derivativeBlobService: getDerivativesBlobService(),
    documents: getImagesContainer(),
  };
}
