import { HttpRequest } from '@azure/functions';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { loadSettings, type Settings } from '../../src/config/settings';
import { createUploadSasSigner } from '../../src/storage/uploadSas';
import { createUploadHandler } from '../../src/triggers/httpUploads';
import { principalHeader, USER_OID } from '../auth/support';
import { testEnv } from '../support/env';
import { recordingContext } from './support/durableApiStub';

const local = loadSettings(testEnv({ DEV_USER_ID: 'dev-user', MAX_SOURCE_BYTES: '1000000' }));
const azureLike: Settings = { ...local, site: { ...local.site, devUserId: undefined } };
const blobService = createBlobServiceClient(local.images);
const signer = createUploadSasSigner(blobService);

beforeAll(async () => {
  await blobService.getContainerClient(local.unprocessedContainer).createIfNotExists();
});

function post(body: unknown, headers: Record<string, string> = {}, settings = local, authEnabled = false) {
  const handler = createUploadHandler(() => ({ settings, signer, authEnabled }));
  const request = new HttpRequest({
    method: 'POST',
    url: 'http://127.0.0.1:7071/api/uploads',
    headers: { 'content-type': 'application/json', ...headers },
    body: { string: typeof body === 'string' ? body : JSON.stringify(body) },
  });
  return handler(request, recordingContext().context);
}

describe('POST /api/uploads', () => {
  it('describes a size the JSON parser could not hold by what was sent, not by the number it became', async () => {
    const sent = (size: string) => post(`{"fileName":"cat.jpg","contentType":"image/jpeg","size":${size}}`);
    expect((await sent('1e400')).jsonBody).toMatchObject({
      error: 'invalid-request',
      message:
        'Expected a whole number of bytes for size but received a number too large to represent (more than 1.8e308)',
    });
    expect((await sent('-1e400')).jsonBody).toMatchObject({
      message:
        'Expected a whole number of bytes for size but received a number too large to represent (less than -1.8e308)',
    });
    expect((await sent('9007199254740993')).jsonBody).toMatchObject({
      message:
        'Expected a whole number of bytes for size but received a number beyond the safe integer range (±9007199254740991)',
    });
    expect(JSON.stringify((await sent('1e400')).jsonBody)).not.toMatch(/received null|9007199254740992/);
  });

  it('201: a SAS for one new blob users/{dev user}/{random}-{safe name}, and the URL takes the photo', async () => {
    const response = await post({ fileName: '../My Photo\u0007.JPG', contentType: 'image/jpeg', size: 13 });
    expect(response.status).toBe(201);
    const body = response.jsonBody as {
      blobName: string;
      uploadUrl: string;
      expiresOn: string;
      statusUrl: string;
      headers: Record<string, string>;
    };
    expect(body.blobName).toMatch(/^users\/dev-user\/[0-9a-f]{16}-My-Photo\.JPG$/);
    expect(body.statusUrl).toBe(`http://127.0.0.1:7071/api/images/${body.blobName}`);
    expect(body.headers).toEqual({ 'x-ms-blob-type': 'BlockBlob', 'content-type': 'image/jpeg' });
    expect(new Date(body.expiresOn).getTime() - Date.now()).toBeLessThanOrEqual(10 * 60 * 1000);
    expect(new URL(body.uploadUrl).pathname).toBe(`/devstoreaccount1/images-unprocessed/${body.blobName}`);

    const put = await fetch(body.uploadUrl, { method: 'PUT', headers: body.headers, body: 'thirteen byte' });
    expect(put.status).toBe(201);
    const blob = blobService.getContainerClient(local.unprocessedContainer).getBlobClient(body.blobName);
    expect((await blob.getProperties()).contentLength).toBe(13);
  });

  it('two requests for the same file get different blobs', async () => {
    const body = { fileName: 'cat.jpg', contentType: 'image/jpeg', size: 10 };
    const [a, b] = await Promise.all([post(body), post(body)]);
    expect((a.jsonBody as { blobName: string }).blobName).not.toBe(
      (b.jsonBody as { blobName: string }).blobName,
    );
  });

  it.each([
    [{ fileName: 'notes.txt', contentType: 'text/plain', size: 10 }, 'not-an-image-type'],
    [{ fileName: 'huge.jpg', contentType: 'image/jpeg', size: 1_000_001 }, 'too-large'],
    [{ fileName: 'empty.jpg', contentType: 'image/jpeg', size: 0 }, 'empty-file'],
    [{ fileName: 'cat.jpg', contentType: 'image/jpeg' }, 'invalid-request'],
    ['{not json', 'invalid-request'],
  ])('400 %j → %s, with a message and the limit', async (body, error) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.jsonBody).toMatchObject({ error, message: expect.any(String) as string });
  });

  it('behind App Service authentication: the blob is under the Entra object id; no principal is 401', async () => {
    const body = { fileName: 'cat.jpg', contentType: 'image/jpeg', size: 10 };
    const signedIn = await post(
      body,
      { 'x-ms-client-principal': principalHeader({ objectId: USER_OID }) },
      azureLike,
      true,
    );
    expect(signedIn.status).toBe(201);
    expect((signedIn.jsonBody as { blobName: string }).blobName.startsWith(`users/${USER_OID}/`)).toBe(true);

    const anonymous = await post(body, {}, azureLike, true);
    expect(anonymous).toMatchObject({ status: 401, jsonBody: { error: 'unauthenticated' } });
    const forged = await post(
      body,
      { 'x-ms-client-principal': principalHeader({ objectId: USER_OID }) },
      azureLike,
      false,
    );
    expect(forged.status).toBe(401);
  });
});
