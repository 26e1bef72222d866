import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createResizeHandler } from '../../src/activities/resize/resizeHandler';
import { loadSettings } from '../../src/config/settings';
import { derivativeUrl } from '../../src/domain/blobPath';
import type { ResizeOutcome } from '../../src/domain/types';
import { makePhoto } from '../support/images';
import { testEnv } from '../support/env';
import { openImageContainers, resizeDeps, type ImageContainers } from './resizeFixture';

const settings = loadSettings(testEnv());
let containers: ImageContainers;

beforeAll(async () => {
  containers = await openImageContainers(settings);
});

describe('derivative URLs', () => {
  it('point at DERIVATIVE_BASE_URL with each path segment encoded, or at the blob itself', () => {
    expect(
      derivativeUrl('https://st.blob.core.windows.net/p/a%20b/c.jpg', 'a b/c#1.jpg', 'https://cdn.example/p'),
    ).toBe('https://cdn.example/p/a%20b/c%231.jpg');
    expect(derivativeUrl('https://st.blob.core.windows.net/p/a.jpg', 'a.jpg', undefined)).toBe(
      'https://st.blob.core.windows.net/p/a.jpg',
    );
  });

  it('the resize activity records the delivery host URL in the variant, and the blob exists under that name', async () => {
    const blobName = `users/${randomUUID().slice(0, 8)}/holiday photo.jpg`;
    const upload = await containers.unprocessed
      .getBlockBlobClient(blobName)
      .uploadData(await makePhoto({ width: 400, height: 300, format: 'jpeg' }));
    const base = 'https://photos.example.net/images-processed';
    const handler = createResizeHandler(() =>
      resizeDeps(settings, containers.blobService, { derivativeBaseUrl: base }),
    );
    const outcome = (await handler(
      {
        source: {
          container: settings.unprocessedContainer,
          blobName,
          eTag: upload.etag ?? '',
          sequencer: '0000000000000000000000000000000100000000000000a1',
          contentLength: 1,
          contentType: 'image/jpeg',
        },
        size: { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source', 'webp'] },
        instanceId: `img-${randomUUID()}`,
      },
      new InvocationContext({ functionName: 'resize-thumb', logHandler: () => undefined }),
    )) as ResizeOutcome;
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    // Every (label, format) variant points at the delivery host.
    expect(outcome.variants.map((variant) => variant.format)).toEqual(['jpeg', 'webp']);
    for (const variant of outcome.variants) {
      expect(variant.url).toBe(`${base}/${variant.blobName.split('/').map(encodeURIComponent).join('/')}`);
      expect(variant.url).toContain('holiday%20photo');
      expect(await containers.processed.getBlobClient(variant.blobName).exists()).toBe(true);
    }
  });
});
