import { BlobServiceClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { configureSiteAccess } from '../src/services/siteAccess';

const SITE = 'http://127.0.0.1:7071';
let blobs: BlobServiceClient;
let base: string;

beforeAll(async () => {
  blobs = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
  base = blobs.url.replace(/\/$/, '');
  await blobs.getContainerClient('site-access-derivatives').createIfNotExists();
  await blobs.getContainerClient('site-access-sources').createIfNotExists();
  await configureSiteAccess(blobs, { siteOrigins: [SITE], derivativesContainer: 'site-access-derivatives' });
  await blobs.getContainerClient('site-access-derivatives').uploadBlockBlob('a/thumb.jpg', 'pixels', 6);
  await blobs.getContainerClient('site-access-sources').uploadBlockBlob('a.jpg', 'source', 6);
});

const preflight = (origin: string, headers = 'x-ms-blob-type,content-type') =>
  fetch(`${base}/site-access-sources/new.jpg`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': headers },
  });

describe('the local Blob service as the site needs it', () => {
  it("answers the browser's CORS preflight for the upload PUT from the site's origin only", async () => {
    const ok = await preflight(SITE);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(ok.headers.get('access-control-allow-methods')).toBe('PUT');
    expect((await preflight('http://evil.example')).status).toBe(403);
  });

  it('derivatives are readable anonymously, blob by blob; nothing is listable and sources stay private', async () => {
    const derivative = await fetch(`${base}/site-access-derivatives/a/thumb.jpg`);
    expect(derivative.status).toBe(200);
    expect(await derivative.text()).toBe('pixels');
    expect((await fetch(`${base}/site-access-derivatives?restype=container&comp=list`)).status).toBe(403);
    expect((await fetch(`${base}/site-access-sources/a.jpg`)).status).toBe(403);
    expect((await fetch(`${base}/site-access-sources?restype=container&comp=list`)).status).toBe(403);
  });
});
