import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type * as BlobsModule from '../../src/storage/blobServiceClient';
import { testEnv } from '../support/env';

describe('blob client factory', () => {
  it('builds the images client once per worker from the settings and talks to Azurite with it', async () => {
    for (const [name, value] of Object.entries(testEnv())) if (value !== undefined) vi.stubEnv(name, value);
    // Settings are read once per process, so the module is loaded after the environment is set.
    const { getImagesBlobService }: typeof BlobsModule =
      await import('../../src/storage/blobServiceClient.js');
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

describe('a stalled storage connection', () => {
  it('becomes a thrown (transient) error after the call timeout instead of holding the activity', async () => {
    const { createBlobServiceClient }: typeof BlobsModule =
      await import('../../src/storage/blobServiceClient.js');
    const { downloadSource } = await import('../../src/activities/resize/downloadSource.js');
    // A server that accepts the request and never answers.
    const sockets: import('node:net').Socket[] = [];
    const server = (await import('node:http')).createServer(() => undefined);
    server.on('connection', (socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('k').toString('base64')};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1`;
    const service = createBlobServiceClient({
      kind: 'connectionString',
      connectionString,
      accountName: 'devstoreaccount1',
    });
    const source = {
      container: 'images-unprocessed',
      blobName: 'stalled.jpg',
      eTag: '"0x1"',
      sequencer: '1',
      contentLength: 10,
      contentType: 'image/jpeg',
    };
    try {
      await expect(downloadSource(service, source, 1024, 300)).rejects.toThrow(/abort/i);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
