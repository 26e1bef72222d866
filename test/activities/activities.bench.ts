/**
 * Wall time of one resize activity per size (download from Azurite, render, upload) on a 12-MP JPEG, and of
 * one document write against the Cosmos server. A benchmark, not a test:
 *   npx vitest bench --run test/activities/activities.bench.ts
 */
import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { beforeAll, bench, describe } from 'vitest';
import { cosmosDocumentStore } from '../../src/storage/documentStore';
import { writeImageDocumentWithGuard } from '../../src/activities/document/writeDocument';
import { createResizeHandler } from '../../src/activities/resize/resizeHandler';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { createCosmosClient, imagesContainerOf } from '../../src/storage/cosmosClient';
import { loadSettings } from '../../src/config/settings';
import type { SizeSpec, SourceRef } from '../../src/domain/types';
import { DEFAULT_SIZES } from '../../src/config/sizes';
import { configureSharp, renderRendition } from '../../src/imaging';
import { makePhoto } from '../support/images';
import { testEnv } from '../support/env';
import { okOutcome, sourceRef } from './documentFixtures';

const settings = loadSettings(testEnv());
const blobService = createBlobServiceClient(settings.images);
const derivativeBlobService = createBlobServiceClient(settings.derivatives);
const context = new InvocationContext({ logHandler: () => undefined });
let source: SourceRef;

configureSharp({ activityConcurrency: 1 });

beforeAll(async () => {
  const photo = await makePhoto({ width: 4000, height: 3000, format: 'jpeg' });
  const unprocessed = blobService.getContainerClient(settings.unprocessedContainer);
  await unprocessed.createIfNotExists();
  await derivativeBlobService.getContainerClient(settings.processedContainer).createIfNotExists();
  const blobName = `bench/${randomUUID()}/photo.jpg`;
  const uploaded = await unprocessed.getBlockBlobClient(blobName).uploadData(photo);
  source = {
    container: settings.unprocessedContainer,
    blobName,
    eTag: uploaded.etag ?? '',
    sequencer: '',
    contentLength: photo.length,
    contentType: 'image/jpeg',
  };
});

const handler = createResizeHandler(() => ({
  blobService,
  derivativeBlobService,
  derivativeBaseUrl: settings.site.derivativeBaseUrl,
  processedContainer: settings.processedContainer,
  limits: { maxSourceBytes: settings.maxSourceBytes, maxSourcePixels: settings.maxSourcePixels },
  render: renderRendition,
  now: () => new Date(),
}));

describe('resize activity, 12 MP JPEG, one per size', () => {
  for (const size of DEFAULT_SIZES as SizeSpec[]) {
    bench(
      `resize-${size.label}`,
      async () => {
        await handler({ source, size, instanceId: 'img-bench' }, context);
      },
      { iterations: 5, time: 0, warmupIterations: 1 },
    );
  }
});

describe('writeImageDocument', () => {
  const client = createCosmosClient(settings.cosmos);
  const store = cosmosDocumentStore(imagesContainerOf(client, settings.cosmos));
  bench(
    'create + merge (two rounds)',
    async () => {
      const ref = sourceRef();
      const deps = {
        store,
        currentSourceETag: () => Promise.resolve(undefined),
        // The fixtures' variants name no blobs; the writer's HEAD of them is tested in droppedDerivatives.test.ts.
        derivativeState: () => Promise.resolve('present' as const),
        now: () => new Date(),
      };
      await writeImageDocumentWithGuard(
        { instanceId: 'img-b', source: ref, outcomes: [okOutcome('thumb', 1, 1)] },
        deps,
      );
      await writeImageDocumentWithGuard(
        { instanceId: 'img-b', source: ref, outcomes: [okOutcome('large', 1, 1)] },
        deps,
      );
    },
    { iterations: 20, time: 0, warmupIterations: 2 },
  );
});
