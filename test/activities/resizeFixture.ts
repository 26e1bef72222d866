import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import type { ResizeDeps } from '../../src/activities/resize/resizeToOutcome';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import type { Settings } from '../../src/config/settings';
import { renderRendition } from '../../src/imaging';
import type { SizeSpec, SourceRef } from '../../src/domain/types';

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

/** Three boxes (150, 640 and 1280 px square, `inside`) in the source's format. */
export const SOURCE_FORMAT_SIZES: SizeSpec[] = [
  { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source'] },
  { label: 'medium', width: 640, height: 640, fit: 'inside', formats: ['source'] },
  { label: 'large', width: 1280, height: 1280, fit: 'inside', formats: ['source'] },
];

/**
 * Uploads `data` as `blobName` (with its Content-Type) into the sources container and returns the source
 * reference its BlobCreated event carries (the blob's first event: sequencer 1).
 */
export async function uploadSourceRef(
  unprocessed: ContainerClient,
  settings: Settings,
  blobName: string,
  data: Buffer,
  contentType: string,
): Promise<SourceRef> {
  const response = await unprocessed
    .getBlockBlobClient(blobName)
    .uploadData(data, { blobHTTPHeaders: { blobContentType: contentType } });
  return {
    container: settings.unprocessedContainer,
    blobName,
    eTag: response.etag ?? '',
    sequencer: '000000000000000000000000000000010000000000000001',
    contentLength: data.length,
    contentType,
  };
}
