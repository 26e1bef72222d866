import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it, vi } from 'vitest';
import type * as BlobsModule from '../../src/storage/blobServiceClient';
import { testEnv } from '../support/env';

describe('derivatives blob client', () => {
  it('is built once per worker from DERIVATIVES_STORAGE and writes to that account, not the images account', async () => {
    const env = testEnv({ DERIVATIVES_STORAGE: inject('azuriteDerivativesConnectionString') });
    for (const [name, value] of Object.entries(env)) if (value !== undefined) vi.stubEnv(name, value);
    // Settings are read once per process, so the module is loaded after the environment is set.
    const { getDerivativesBlobService, getImagesBlobService }: typeof BlobsModule =
      await import('../../src/storage/blobServiceClient.js');
    const derivatives = getDerivativesBlobService();
    expect(getDerivativesBlobService()).toBe(derivatives);
    expect(derivatives.accountName).toBe('derivativesaccount1');
    expect(getImagesBlobService().accountName).toBe('devstoreaccount1');

    const containerName = `derivatives-${randomUUID()}`;
    const container = derivatives.getContainerClient(containerName);
    await container.create();
    await container.getBlockBlobClient('a/b_thumb.jpg').upload('pixels', 6);
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(names).toEqual(['a/b_thumb.jpg']);
    expect(await getImagesBlobService().getContainerClient(containerName).exists()).toBe(false);
    await container.delete();
  });
});
