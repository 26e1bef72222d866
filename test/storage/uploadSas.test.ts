import { BlobServiceClient, type UserDelegationKey } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { loadSettings } from '../../src/config/settings';
import { createUploadSasSigner, UPLOAD_SAS_LIFETIME_MS } from '../../src/storage/uploadSas';
import { testEnv } from '../support/env';

const CONTAINER = 'images-unprocessed';
const settings = loadSettings(testEnv());
let blobService: BlobServiceClient;

beforeAll(async () => {
  blobService = createBlobServiceClient(settings.images);
  await blobService.getContainerClient(CONTAINER).createIfNotExists();
});

const put = (url: string, body = 'first version', headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'PUT',
    headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'image/jpeg', ...headers },
    body,
  });

describe('upload SAS against the emulator (shared key)', () => {
  it('grants exactly: create this one new blob, for ten minutes', async () => {
    const now = new Date();
    const signer = createUploadSasSigner(blobService, () => now);
    const blobName = `users/sas/${randomUUID()}-cat.jpg`;
    const { url, expiresOn } = await signer.sign(CONTAINER, blobName);
    expect(signer.kind).toBe('sharedKey');
    const query = new URL(url).searchParams;
    expect(query.get('sp')).toBe('c');
    expect(query.get('sr')).toBe('b');
    expect(expiresOn.getTime() - now.getTime()).toBe(UPLOAD_SAS_LIFETIME_MS);
    expect(UPLOAD_SAS_LIFETIME_MS).toBeLessThanOrEqual(15 * 60 * 1000);
    expect(new Date(query.get('se') ?? '').getTime()).toBe(Math.floor(expiresOn.getTime() / 1000) * 1000);

    expect((await put(url)).status).toBe(201);
    const stored = blobService.getContainerClient(CONTAINER).getBlobClient(blobName);
    expect((await stored.downloadToBuffer()).toString()).toBe('first version');
    expect((await stored.getProperties()).contentType).toBe('image/jpeg');

    // Create only: the same SAS cannot overwrite, read, change metadata or delete the blob.
    const overwrite = await put(url, 'second version');
    expect(overwrite.status).toBe(403);
    expect(overwrite.headers.get('x-ms-error-code')).toBe('AuthorizationPermissionMismatch');
    expect((await stored.downloadToBuffer()).toString()).toBe('first version');
    expect((await fetch(url)).status).toBe(403);
    expect(
      (await fetch(`${url}&comp=metadata`, { method: 'PUT', headers: { 'x-ms-meta-a': 'b' } })).status,
    ).toBe(403);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(403);
    expect(await stored.exists()).toBe(true);
  });

  it('is bound to its blob: another name in the same container is refused', async () => {
    const signer = createUploadSasSigner(blobService);
    const blobName = `users/sas/${randomUUID()}-cat.jpg`;
    const { url } = await signer.sign(CONTAINER, blobName);
    const other = url.replace(encodeURIComponent(blobName.split('/').pop() ?? ''), 'other.jpg');
    expect(other).not.toBe(url);
    expect((await put(other)).status).toBe(403);
  });

  it('an expired SAS is refused', async () => {
    const signer = createUploadSasSigner(
      blobService,
      () => new Date(Date.now() - UPLOAD_SAS_LIFETIME_MS - 60_000),
    );
    const { url } = await signer.sign(CONTAINER, `users/sas/${randomUUID()}-late.jpg`);
    expect((await put(url)).status).toBe(403);
  });
});

describe('upload SAS with an Entra identity (user delegation)', () => {
  /** Azure's Get User Delegation Key stands in here (Azurite has no Entra); the signing itself is the SDK's. */
  function delegatingService() {
    const requests: Array<{ startsOn: Date; expiresOn: Date }> = [];
    const service = new BlobServiceClient('https://stimages.blob.core.windows.net', {
      getToken: () => Promise.resolve({ token: 'token', expiresOnTimestamp: Date.now() + 3_600_000 }),
    });
    const getKey = (startsOn: Date, expiresOn: Date) => {
      requests.push({ startsOn, expiresOn });
      const key: UserDelegationKey = {
        signedObjectId: '11111111-2222-3333-4444-555555555555',
        signedTenantId: '66666666-7777-8888-9999-000000000000',
        signedStartsOn: startsOn,
        signedExpiresOn: expiresOn,
        signedService: 'b',
        signedVersion: '2025-01-05',
        value: Buffer.from('delegation-key-bytes-32-long!!!!').toString('base64'),
      };
      return Promise.resolve(key);
    };
    service.getUserDelegationKey = getKey as unknown as BlobServiceClient['getUserDelegationKey'];
    return { service, requests };
  }

  it('signs with a user-delegation key (never an account key), HTTPS only, and reuses the key', async () => {
    let now = new Date('2026-11-29T12:00:00Z');
    const { service, requests } = delegatingService();
    const signer = createUploadSasSigner(service, () => now);
    expect(signer.kind).toBe('delegation');
    const first = await signer.sign(CONTAINER, 'users/u/1-cat.jpg');
    const query = new URL(first.url).searchParams;
    expect(
      first.url.startsWith('https://stimages.blob.core.windows.net/images-unprocessed/users/u/1-cat.jpg?'),
    ).toBe(true);
    expect(query.get('skoid')).toBe('11111111-2222-3333-4444-555555555555');
    expect(query.get('sktid')).toBe('66666666-7777-8888-9999-000000000000');
    expect(query.get('sp')).toBe('c');
    expect(query.get('sr')).toBe('b');
    expect(query.get('spr')).toBe('https');
    expect(query.get('se')).toBe('2026-11-29T12:10:00Z');
    expect(requests).toHaveLength(1);
    // The key was asked for an hour (backdated five minutes for clock skew) and outlives the SAS.
    expect(requests[0]?.startsOn.toISOString()).toBe('2026-11-29T11:55:00.000Z');
    expect(requests[0]?.expiresOn.toISOString()).toBe('2026-11-29T13:00:00.000Z');

    now = new Date('2026-11-29T12:40:00Z');
    await signer.sign(CONTAINER, 'users/u/2-cat.jpg');
    expect(requests).toHaveLength(1);
    // Within SAS lifetime + 1 minute of the key's expiry: a new key, so no SAS outlives its key.
    now = new Date('2026-11-29T12:50:00Z');
    const late = await signer.sign(CONTAINER, 'users/u/3-cat.jpg');
    expect(requests).toHaveLength(2);
    expect(new URL(late.url).searchParams.get('ske')).toBe('2026-11-29T13:50:00Z');
  });
});
