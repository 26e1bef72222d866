import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type * as BlobsModule from '../../src/clients/blobs';
import { testEnv } from '../support/env';

describe('blob client factory', () => {
  it('builds the images client once per worker from the settings and talks to Azurite with it', async () => {
    for (const [name, value] of Object.entries(testEnv())) if (value !== undefined) vi.stubEnv(name, value);
    // Settings are read once per process, so the module is loaded after the environment is set.
    const { getImagesBlobService }: typeof BlobsModule = await import('../../src/clients/blobs.js');
    const service = getImagesBlobService();
    expect(getImagesBlobService()).toBe(service);
    expect(service.accountName).toBe('devstoreaccount1');

    const container = service.getContainerClient(`clients-${randomUUID()}`);
    await container.create();
    await container.getBlockBlobClient('a/b.txt').upload('hello', 5);
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat()) names.push(blob.name);
    expect(names).toEqual(['a/b.txt']);
    await container.delete();
  });
});
