import type { ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { checkSource, readSource } from '../../src/storage/sourceRead';
import { testEnv } from '../support/env';

/** On Azurite: what a create-only SAS lets a client make besides a block blob is never read. */
let container: ContainerClient;
const TIB = 1024 ** 4;

beforeAll(async () => {
  const service = createBlobServiceClient(loadSettings(testEnv()).images);
  container = service.getContainerClient('source-read-test');
  await container.createIfNotExists();
});

const name = () => `users/u/${randomUUID()}.jpg`;

describe('readSource: one HEAD, then a ranged GET of a block blob only', () => {
  it('a page blob declaring 1 TiB is unsupported-blob-type from the HEAD alone, whatever the limit', async () => {
    const page = container.getPageBlobClient(name());
    const created = await page.create(TIB);
    const eTag = created.etag ?? '';
    expect(await checkSource(page, eTag, 50 * 1024 * 1024)).toEqual({
      ok: false,
      reason: 'unsupported-blob-type',
      blobType: 'PageBlob',
    });
    expect(await readSource(page, eTag, Number.MAX_SAFE_INTEGER)).toEqual({
      ok: false,
      reason: 'unsupported-blob-type',
      blobType: 'PageBlob',
    });
  });

  it('an append blob is unsupported-blob-type, even a small one holding a real JPEG header', async () => {
    const append = container.getAppendBlobClient(name());
    await append.create();
    const appended = await append.appendBlock(Buffer.from([0xff, 0xd8, 0xff, 0xe0]), 4);
    expect(await readSource(append, appended.etag ?? '', 1000)).toEqual({
      ok: false,
      reason: 'unsupported-blob-type',
      blobType: 'AppendBlob',
    });
  });

  it('a block blob: its bytes; too-large from the HEAD; changed, missing; an empty blob is empty', async () => {
    const block = container.getBlockBlobClient(name());
    const first = await block.uploadData(Buffer.from('0123456789'), {
      blobHTTPHeaders: { blobContentType: 'image/jpeg' },
    });
    const eTag = first.etag ?? '';
    expect(await readSource(block, eTag, 10)).toEqual({
      ok: true,
      data: Buffer.from('0123456789'),
      contentType: 'image/jpeg',
    });
    expect(await readSource(block, eTag, 9)).toEqual({ ok: false, reason: 'too-large', bytes: 10 });
    await block.uploadData(Buffer.from('new'));
    expect(await readSource(block, eTag, 10)).toEqual({ ok: false, reason: 'changed' });
    await block.delete();
    expect(await readSource(block, eTag, 10)).toEqual({ ok: false, reason: 'missing' });
    const empty = await block.uploadData(Buffer.alloc(0));
    expect(await readSource(block, empty.etag ?? '', 10)).toMatchObject({ ok: true, data: Buffer.alloc(0) });
  });
});
