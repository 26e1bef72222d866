import { RestError, type ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings';
import {
  blobProperties,
  currentETag,
  deleteIfUnchanged,
  downloadIfMatch,
  uploadConditionally,
} from '../../src/storage/blobs';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { httpStatusOf } from '../../src/storage/serviceErrors';
import { testEnv } from '../support/env';

const OPTIONS = { contentType: 'text/plain', cacheControl: 'no-cache', metadata: { test: '1' } };
let container: ContainerClient;

beforeAll(async () => {
  const service = createBlobServiceClient(loadSettings(testEnv()).images);
  container = service.getContainerClient('storage-layer-test');
  await container.createIfNotExists();
});

const fresh = () => container.getBlockBlobClient(`blobs/${randomUUID()}.txt`);

describe('httpStatusOf', () => {
  it('reads the status of storage and Cosmos errors, and none from network failures', () => {
    expect(httpStatusOf(new RestError('gone', { statusCode: 404 }))).toBe(404);
    // @azure/cosmos ErrorResponse: the HTTP status in `code` (a number, or a numeric string on some paths).
    expect(httpStatusOf(Object.assign(new Error('conflict'), { code: 409 }))).toBe(409);
    expect(httpStatusOf({ code: '412' })).toBe(412);
    expect(httpStatusOf(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(httpStatusOf(new RestError('no answer', { code: 'REQUEST_SEND_ERROR' }))).toBeUndefined();
    expect(httpStatusOf('boom')).toBeUndefined();
  });
});

describe('blob access on Azurite', () => {
  it('properties, or undefined for a blob that does not exist', async () => {
    const blob = fresh();
    expect(await blobProperties(blob)).toBeUndefined();
    expect(await currentETag(blob)).toBeUndefined();
    const uploaded = await blob.uploadData(Buffer.from('hello'));
    expect((await blobProperties(blob))?.contentLength).toBe(5);
    expect(await currentETag(blob)).toBe(uploaded.etag);
  });

  it('conditional upload: create-only and If-Match each lose to a writer that got there first', async () => {
    const blob = fresh();
    const created = await uploadConditionally(blob, Buffer.from('a'), { ifNoneMatch: '*' }, OPTIONS);
    expect(created).toMatchObject({ ok: true });
    expect(await uploadConditionally(blob, Buffer.from('b'), { ifNoneMatch: '*' }, OPTIONS)).toEqual({
      ok: false,
      reason: 'conflict',
    });
    const eTag = created.ok ? created.eTag : '';
    const replaced = await uploadConditionally(blob, Buffer.from('c'), { ifMatch: eTag }, OPTIONS);
    expect(replaced).toMatchObject({ ok: true });
    expect(await uploadConditionally(blob, Buffer.from('d'), { ifMatch: eTag }, OPTIONS)).toEqual({
      ok: false,
      reason: 'conflict',
    });
    const properties = await blobProperties(blob);
    expect([properties?.contentType, properties?.cacheControl, properties?.metadata]).toEqual([
      'text/plain',
      'no-cache',
      { test: '1' },
    ]);
    expect((await blob.downloadToBuffer()).toString()).toBe('c');
  });

  it('download If-Match: the bytes, `changed` for another version, `missing` when gone, `too-large` past the cap', async () => {
    const blob = fresh();
    const first = await blob.uploadData(Buffer.from('0123456789'), {
      blobHTTPHeaders: { blobContentType: 'text/plain' },
    });
    expect(await downloadIfMatch(blob, first.etag ?? '', 10)).toEqual({
      ok: true,
      data: Buffer.from('0123456789'),
      contentType: 'text/plain',
    });
    expect(await downloadIfMatch(blob, first.etag ?? '', 9)).toEqual({
      ok: false,
      reason: 'too-large',
      bytes: 10,
    });
    await blob.uploadData(Buffer.from('new'));
    expect(await downloadIfMatch(blob, first.etag ?? '', 10)).toEqual({ ok: false, reason: 'changed' });
    await blob.delete();
    expect(await downloadIfMatch(blob, first.etag ?? '', 10)).toEqual({ ok: false, reason: 'missing' });
  });

  it('delete If-Match: `deleted`, `changed` for another version (kept), `absent` when gone', async () => {
    const blob = fresh();
    const first = await blob.uploadData(Buffer.from('a'));
    const second = await blob.uploadData(Buffer.from('b'));
    expect(await deleteIfUnchanged(blob, first.etag ?? '')).toBe('changed');
    expect(await blob.exists()).toBe(true);
    expect(await deleteIfUnchanged(blob, second.etag ?? '')).toBe('deleted');
    expect(await deleteIfUnchanged(blob, second.etag ?? '')).toBe('absent');
  });
});
