import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { ResizeDeps } from '../../src/activities/resize/resizeToOutcome';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import type { Settings } from '../../src/config/settings';
import { renderRendition } from '../../src/imaging';

/** The sources container (images account) and the derivatives container (derivatives account), created if missing. */
export interface ImageContainers {
  blobService: BlobServiceClient;
  derivativeBlobService: BlobServiceClient;
  unprocessed: ContainerClient;
  processed: ContainerClient;
}

export async function openImageContainers(settings: Settings): Promise<ImageContainers> {
  const blobService = createBlobServiceClient(settings.images);
  const derivativeBlobService = createBlobServiceClient(settings.derivatives);
  const unprocessed = blobService.getContainerClient(settings.unprocessedContainer);
  const processed = derivativeBlobService.getContainerClient(settings.processedContainer);
  await unprocessed.createIfNotExists();
  await processed.createIfNotExists();
  return { blobService, derivativeBlobService, unprocessed, processed };
}

/** The resize activity's real dependencies (real sharp, a fixed clock), with per-test overrides. */
export function resizeDeps(
  settings: Settings,
  blobService: BlobServiceClient,
  overrides: Partial<ResizeDeps> = {},
): ResizeDeps {
  return {
    blobService,
    derivativeBlobService: createBlobServiceClient(settings.derivatives),
    derivativeBaseUrl: settings.site.derivativeBaseUrl,
    processedContainer: settings.processedContainer,
    limits: { maxSourceBytes: settings.maxSourceBytes, maxSourcePixels: settings.maxSourcePixels },
    render: renderRendition,
    now: () => new Date('2026-11-24T05:00:00.000Z'),
    ...overrides,
  };
}
