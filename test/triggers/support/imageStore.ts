import { randomUUID } from 'node:crypto';
import { createBlobServiceClient } from '../../../src/storage/blobServiceClient';
import { createCosmosClient, imagesContainerOf } from '../../../src/storage/cosmosClient';
import { loadSettings } from '../../../src/config/settings';
import { documentIdFor, instanceIdFor } from '../../../src/domain/ids';
import type { ImageDocument } from '../../../src/domain/types';
import type { ImageHttpDeps } from '../../../src/triggers/http/deps';
import { testEnv } from '../../support/env';

/** The HTTP functions' dependencies, pointed at the Azurite and Cosmos servers of this test run. */
export async function httpDepsForTests(): Promise<ImageHttpDeps> {
  const settings = loadSettings(testEnv({ DEV_USER_ID: 'dev-user' }));
  const blobService = createBlobServiceClient(settings.images);
  await blobService.getContainerClient(settings.unprocessedContainer).createIfNotExists();
  const documents = imagesContainerOf(createCosmosClient(settings.cosmos), settings.cosmos);
  const derivativeBlobService = createBlobServiceClient(settings.derivatives);
  await derivativeBlobService.getContainerClient(settings.processedContainer).createIfNotExists();
  return { settings, blobService, derivativeBlobService, documents };
}

/** A blob name no other test uses (tests share the servers and run in parallel). */
export function uniqueBlobName(file = 'cat.jpg'): string {
  return `users/${randomUUID().slice(0, 8)}/${file}`;
}

/** Uploads bytes to the unprocessed container; returns the blob's ETag as the service reports it. */
export async function uploadSource(
  deps: ImageHttpDeps,
  blobName: string,
  bytes: Buffer = Buffer.from('not really a jpeg'),
) {
  const blob = deps.blobService
    .getContainerClient(deps.settings.unprocessedContainer)
    .getBlockBlobClient(blobName);
  const response = await blob.uploadData(bytes, { blobHTTPHeaders: { blobContentType: 'image/jpeg' } });
  return response.etag ?? '';
}

/** Writes the document the writer would have written for this version. */
export async function seedDocument(
  deps: ImageHttpDeps,
  blobName: string,
  eTag: string,
  overrides: Partial<ImageDocument> = {},
): Promise<ImageDocument> {
  const container = deps.settings.unprocessedContainer;
  const document: ImageDocument = {
    id: documentIdFor(container, blobName),
    sourceContainer: container,
    sourceBlobName: blobName,
    sourceLength: 17,
    sourceFormat: 'JPEG',
    sourceContentType: 'image/jpeg',
    sourceWidth: 1600,
    sourceHeight: 1200,
    sourceETag: eTag,
    sourceSequencer: '00000000000000000000000000000042',
    instanceId: instanceIdFor(container, blobName, eTag),
    status: 'completed',
    createdAt: '2026-11-24T04:00:00.000Z',
    updatedAt: '2026-11-24T04:00:05.000Z',
    variants: [],
    errors: [],
    ...overrides,
  };
  await deps.documents.items.upsert(document);
  return document;
}
