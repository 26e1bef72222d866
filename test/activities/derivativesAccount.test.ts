import { InvocationContext } from '@azure/functions';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createResizeHandler } from '../../src/activities/resize/resizeHandler';
import { loadSettings, type Settings } from '../../src/config/settings';
import type { ResizeOutcome, SourceRef } from '../../src/domain/types';
import { versionTagFor } from '../../src/domain/ids';
import { makePhoto } from '../support/images';
import { testEnv } from '../support/env';
import { openImageContainers, resizeDeps, uploadSourceRef } from './resizeFixture';

/**
 * Derivatives on their own account (DERIVATIVES_STORAGE: a second account of the test Azurite), sources on the
 * images account: the resize activity reads one and writes the other, and the variant URL is DERIVATIVE_BASE_URL's.
 */
const BASE_URL = 'https://fde-test.z01.azurefd.net/images-processed';
const thumb = { label: 'thumb', width: 150, height: 150 };
const context = new InvocationContext({ logHandler: () => undefined });

function settingsWith(overrides: Record<string, string>): Settings {
  return loadSettings(
    testEnv({ DERIVATIVES_STORAGE: inject('azuriteDerivativesConnectionString'), ...overrides }),
  );
}

let blobService: BlobServiceClient;
let unprocessed: ContainerClient;
let processed: ContainerClient;
let photo: Buffer;

beforeAll(async () => {
  ({ blobService, unprocessed, processed } = await openImageContainers(settingsWith({})));
  photo = await makePhoto({ width: 1200, height: 600, format: 'jpeg' });
});

function uploadSource(blobName: string): Promise<SourceRef> {
  return uploadSourceRef(unprocessed, settingsWith({}), blobName, photo, 'image/jpeg');
}

async function resize(settings: Settings, source: SourceRef): Promise<ResizeOutcome> {
  const handler = createResizeHandler(() => resizeDeps(settings, blobService));
  return (await handler(
    { source, size: thumb, instanceId: `img-${randomUUID()}` },
    context,
  )) as ResizeOutcome;
}

describe('derivatives on their own storage account', () => {
  it('writes the derivative to the derivatives account only, with a DERIVATIVE_BASE_URL url (unicode and spaces encoded)', async () => {
    const settings = settingsWith({ DERIVATIVE_BASE_URL: BASE_URL });
    expect(settings.derivatives.accountName).toBe('derivativesaccount1');
    const id = randomUUID();
    const source = await uploadSource(`users/${id}/Été 2026/mon chat é.jpg`);

    const outcome = await resize(settings, source);
    if (!outcome.ok) throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
    const version = versionTagFor(source.container, source.blobName, source.eTag);
    const derivativeName = `users/${id}/Été 2026/mon chat é.jpg/${version}/thumb.jpg`;
    expect(outcome.variants[0]!.blobName).toBe(derivativeName);
    expect(outcome.variants[0]!.url).toBe(
      `${BASE_URL}/users/${id}/%C3%89t%C3%A9%202026/mon%20chat%20%C3%A9.jpg/${version}/thumb.jpg`,
    );

    // The bytes are in the derivatives account, a real 150×75 JPEG with the eTag the variant records.
    const stored = processed.getBlobClient(derivativeName);
    const properties = await stored.getProperties();
    expect(properties.etag).toBe(outcome.variants[0]!.eTag);
    const meta = await sharp(await stored.downloadToBuffer()).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 150, 75]);
    // …and nowhere on the images account.
    const imagesProcessed = blobService.getContainerClient(settings.processedContainer);
    expect(await imagesProcessed.getBlobClient(derivativeName).exists()).toBe(false);
  });

  it('without DERIVATIVE_BASE_URL, the url is the blob’s own URL on the derivatives account', async () => {
    const settings = settingsWith({});
    const source = await uploadSource(`users/${randomUUID()}/cat.jpg`);
    const outcome = await resize(settings, source);
    if (!outcome.ok) throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
    expect(outcome.variants[0]!.url).toBe(processed.getBlobClient(outcome.variants[0]!.blobName).url);
    expect(new URL(outcome.variants[0]!.url).pathname).toMatch(/^\/derivativesaccount1\/images-processed\//);
  });
});
