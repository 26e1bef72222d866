import type { CosmosClient, Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningStack } from '@image-derivatives/devhost';
import { documentIdFor, versionTagFor } from '../../src/domain/ids';
import type { ImageDocument } from '../../src/domain/types';
import { stackClients, startInMemoryStack, UNPROCESSED, uploadBlob, waitFor } from '../support/e2eStack';
import { makePhoto } from '../support/images';

/** A 3-label, 3-format plan through the whole local stack (compiled app, Durable engine, Azurite, Cosmos). */
const PLAN = [
  {
    label: 'thumb',
    width: 150,
    height: 150,
    fit: 'cover',
    position: 'attention',
    formats: ['source', 'webp', 'avif'],
  },
  { label: 'medium', width: 640, formats: ['source', 'webp', 'avif'] },
  { label: 'large', width: 1280, height: 1280, formats: ['avif', 'webp', 'jpeg'], quality: 60 },
];

let stack: RunningStack;
let unprocessed: ContainerClient;
let processed: ContainerClient;
let cosmos: CosmosClient;
let documents: Container;

function finalDocument(blobName: string, eTag: string): Promise<ImageDocument> {
  const id = documentIdFor(UNPROCESSED, blobName);
  return waitFor(
    `the document of ${blobName}`,
    async () => {
      const { resource } = await documents.item(id, id).read<ImageDocument>();
      return resource && resource.sourceETag === eTag.replace(/"/g, '') ? resource : undefined;
    },
    60_000,
  );
}

beforeAll(async () => {
  stack = await startInMemoryStack({ settings: { IMAGE_SIZES: JSON.stringify(PLAN) } });
  ({ unprocessed, processed, cosmos, documents } = stackClients(stack));
});

afterAll(async () => {
  cosmos?.dispose();
  await stack?.stop();
});

describe('end to end: renditions', () => {
  it('an upload with a 3-label, 3-format plan gives 9 derivatives and a placeholder', async () => {
    const blobName = `renditions-${Date.now().toString(36)}/users/7/beach.jpg`;
    const eTag = await uploadBlob(
      unprocessed,
      blobName,
      await makePhoto({ width: 1600, height: 1200, format: 'jpeg' }),
    );
    const document = await finalDocument(blobName, eTag);

    expect(document).toMatchObject({
      status: 'completed',
      errors: [],
      sourceWidth: 1600,
      sourceHeight: 1200,
    });
    expect(document.placeholder?.thumbhash).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(document.placeholder?.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
    const expected: Record<string, [number, number]> = {
      thumb: [150, 150],
      medium: [640, 480],
      large: [1280, 960],
    };
    expect(document.variants.map((variant) => `${variant.label}.${variant.format}`)).toEqual([
      'large.avif',
      'large.jpeg',
      'large.webp',
      'medium.avif',
      'medium.jpeg',
      'medium.webp',
      'thumb.avif',
      'thumb.jpeg',
      'thumb.webp',
    ]);
    for (const variant of document.variants) {
      const bytes = await processed.getBlobClient(variant.blobName).downloadToBuffer();
      const metadata = await sharp(bytes).metadata();
      const format = metadata.format === 'heif' ? metadata.compression : metadata.format;
      expect([format, metadata.width, metadata.height]).toEqual([
        variant.format === 'avif' ? 'av1' : variant.format,
        ...(expected[variant.label] ?? []),
      ]);
      expect([variant.width, variant.height, variant.sizeBytes]).toEqual([
        ...(expected[variant.label] ?? []),
        bytes.length,
      ]);
    }
    const stored: string[] = [];
    const prefix = blobName.slice(0, blobName.lastIndexOf('/') + 1);
    for await (const blob of processed.listBlobsFlat({ prefix })) stored.push(blob.name);
    expect(stored.sort()).toEqual(document.variants.map((variant) => variant.blobName).sort());
    expect(new Set(stored).size).toBe(9);
    // Names v2, one per (label, format): `{source}/{v}/{label}.{ext}`.
    const v = versionTagFor(UNPROCESSED, blobName, eTag);
    const extension = { jpeg: 'jpg', webp: 'webp', avif: 'avif' } as Record<string, string>;
    for (const variant of document.variants) {
      expect(variant.blobName).toBe(`${blobName}/${v}/${variant.label}.${extension[variant.format]}`);
    }
  });
});
