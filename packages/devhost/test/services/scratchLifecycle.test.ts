import { randomUUID } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, inject, it } from 'vitest';
import { expireScratchBlobs, SCRATCH_MAX_AGE_MS } from '../../src/services/scratchLifecycle';

const service = () => BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));

describe('the local scratch lifecycle rule', () => {
  it('deletes scratch blobs older than a day at start, as the Azure rule does, and keeps younger ones', async () => {
    const container = service().getContainerClient(`scratch${randomUUID().replaceAll('-', '').slice(0, 16)}`);
    await container.create();
    try {
      await container.getBlockBlobClient('run-a/1280x1280.tiff').upload('a', 1);
      await container.getBlockBlobClient('run-b/1280x1280.tiff').upload('b', 1);
      // Just written: nothing is old enough.
      expect(await expireScratchBlobs(container)).toBe(0);
      // A day and a minute later, both are.
      const later = new Date(Date.now() + SCRATCH_MAX_AGE_MS + 60_000);
      expect(await expireScratchBlobs(container, { now: later })).toBe(2);
      const left: string[] = [];
      for await (const blob of container.listBlobsFlat()) left.push(blob.name);
      expect(left).toEqual([]);
    } finally {
      await container.deleteIfExists();
    }
  });

  it('a scratch container that does not exist yet has nothing to expire', async () => {
    const missing = service().getContainerClient(`scratch${randomUUID().replaceAll('-', '').slice(0, 16)}`);
    expect(await expireScratchBlobs(missing)).toBe(0);
    expect(await missing.exists()).toBe(false);
  });
});
