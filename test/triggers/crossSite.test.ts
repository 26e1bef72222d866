import { HttpRequest, HttpResponse } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { createUploadSasSigner } from '../../src/storage/uploadSas';
import { refuseCrossSite } from '../../src/triggers/http/crossSite';
import type { ImageHttpDeps } from '../../src/triggers/http/deps';
import { createBackfillHandler } from '../../src/triggers/httpBackfill';
import { createReprocessHandler } from '../../src/triggers/httpReprocess';
import { createUploadHandler } from '../../src/triggers/httpUploads';
import { testEnv } from '../support/env';
import { recordingContext, startDurableApiStub, type DurableApiStub } from './support/durableApiStub';
import { httpDepsForTests, uniqueBlobName, uploadSource } from './support/imageStore';

const APP = 'http://127.0.0.1:7071';
const EVIL = 'https://evil.example';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('refuseCrossSite: the one check of every state-changing route', () => {
  const check = (headers: Record<string, string>, jsonBody: 'required' | 'optional' = 'optional') =>
    refuseCrossSite(
      new HttpRequest({ method: 'POST', url: `${APP}/api/backfill`, headers }),
      ['https://photos.example.com'],
      { jsonBody },
    );

  it.each([
    ['the site itself', { origin: APP, 'sec-fetch-site': 'same-origin', ...JSON_TYPE }],
    ['a SITE_ORIGINS origin', { origin: 'https://photos.example.com', 'sec-fetch-site': 'same-site' }],
    ['a CLI (no Origin, no Fetch Metadata, no body)', {}],
    ['a CLI with a JSON body', JSON_TYPE],
    ['JSON with a charset', { 'content-type': 'Application/JSON; charset=utf-8' }],
  ])('lets %s through', (_, headers) => {
    expect(check(headers)).toBeUndefined();
  });

  it.each([
    ['another origin', { origin: EVIL, ...JSON_TYPE }],
    ['Origin: null (sandboxed frame)', { origin: 'null', ...JSON_TYPE }],
    ['the same host on another port', { origin: 'http://127.0.0.1:7072', ...JSON_TYPE }],
    ['Sec-Fetch-Site: cross-site without Origin', { 'sec-fetch-site': 'cross-site', ...JSON_TYPE }],
    ['https on the loopback host the worker saw as http', { origin: 'https://127.0.0.1:7071' }],
  ])('403 cross-site-request for %s', (_, headers) => {
    const refused = check(headers);
    expect(refused?.status).toBe(403);
    expect(refused?.jsonBody).toMatchObject({ error: 'cross-site-request' });
  });

  it('in Azure, the Host a request names is never its own allowed origin (DNS rebinding): configuration is', () => {
    const azure = (url: string, origin: string) =>
      refuseCrossSite(
        new HttpRequest({ method: 'POST', url, headers: { origin, ...JSON_TYPE } }),
        ['https://func-img.azurewebsites.net', 'https://photos.example.com'],
        { jsonBody: 'required' },
      );
    // A rebinding page: its own name in Host and Origin alike.
    expect(azure('http://evil.example/api/uploads', 'http://evil.example')?.status).toBe(403);
    expect(azure('https://evil.example/api/uploads', 'https://evil.example')?.status).toBe(403);
    expect(
      azure('http://func-img.azurewebsites.net/api/uploads', 'https://func-img.azurewebsites.net'),
    ).toBeUndefined();
    expect(
      azure('https://func-img.azurewebsites.net/api/uploads', 'https://photos.example.com'),
    ).toBeUndefined();
  });

  it.each([
    ['a form post', 'application/x-www-form-urlencoded'],
    ['a multipart form', 'multipart/form-data; boundary=x'],
    ['text/plain (a form with enctype=text/plain, or fetch with a string body)', 'text/plain;charset=UTF-8'],
  ])('415 unsupported-media-type for %s, even from no Origin', (_, type) => {
    const refused = check({ 'content-type': type });
    expect(refused).toMatchObject({
      status: 415,
      jsonBody: {
        error: 'unsupported-media-type',
        message: `Expected Content-Type: application/json but received "${type.split(';')[0]?.toLowerCase()}"`,
      },
    });
  });

  it('a route that reads JSON requires the header', () => {
    expect(check({}, 'required')).toMatchObject({ status: 415 });
  });
});

describe('the routes refuse a cross-site request before doing anything', () => {
  let deps: ImageHttpDeps;
  let stub: DurableApiStub;
  beforeAll(async () => {
    deps = await httpDepsForTests();
    stub = await startDurableApiStub();
  });
  afterAll(async () => {
    await stub.stop();
  });
  beforeEach(() => {
    stub.requests.length = 0;
  });

  it('POST /api/uploads from another site: 403, no SAS; from the site: 201', async () => {
    const settings = loadSettings(testEnv({ DEV_USER_ID: 'dev-user' }));
    const signer = createUploadSasSigner(createBlobServiceClient(settings.images));
    const handler = createUploadHandler(() => ({ settings, signer, authEnabled: false }));
    const body = JSON.stringify({ fileName: 'cat.jpg', contentType: 'image/jpeg', size: 10 });
    const send = (headers: Record<string, string>) =>
      handler(
        new HttpRequest({ method: 'POST', url: `${APP}/api/uploads`, headers, body: { string: body } }),
        recordingContext().context,
      );
    const forged = await send({ origin: EVIL, ...JSON_TYPE });
    expect(forged.status).toBe(403);
    expect(forged.jsonBody).not.toHaveProperty('uploadUrl');
    // The same JSON as a form would send it (text/plain needs no preflight): refused too.
    expect((await send({ 'content-type': 'text/plain' })).status).toBe(415);
    expect((await send({ origin: APP, ...JSON_TYPE })).status).toBe(201);
  });

  it('POST /api/reprocess from another site: 403 and no orchestration; the CLI shape (no Origin) starts one', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    const handler = createReprocessHandler(() => deps);
    const send = (headers: Record<string, string>) =>
      handler(
        new HttpRequest({
          method: 'POST',
          url: `${APP}/api/reprocess/${blobName}`,
          params: { blobName },
          headers,
        }),
        stub.client(),
        recordingContext().context,
      );
    const forged = (await send({ origin: EVIL, 'sec-fetch-site': 'cross-site' })) as { status: number };
    expect(forged.status).toBe(403);
    expect(
      (await send({ 'content-type': 'application/x-www-form-urlencoded' })) as { status: number },
    ).toMatchObject({
      status: 415,
    });
    expect(stub.requests).toEqual([]);
    const cli = (await send({})) as HttpResponse;
    expect(cli.status).toBe(202);
    // The query for runs of the version in flight, then the one start.
    expect(stub.requests.filter((request) => request.startsWith('POST'))).toHaveLength(1);
  });

  it('POST /api/backfill from another site: 403 and nothing asked of the task hub', async () => {
    const settings = loadSettings(testEnv({ DEV_USER_ID: 'dev-user' }));
    const handler = createBackfillHandler(() => ({ settings, activityConcurrency: 4, authEnabled: false }));
    const response = (await handler(
      new HttpRequest({
        method: 'POST',
        url: `${APP}/api/backfill`,
        headers: { origin: EVIL, ...JSON_TYPE },
        body: { string: '{"sizes":["thumb"]}' },
      }),
      stub.client(),
      recordingContext().context,
    )) as { status: number; jsonBody: unknown };
    expect(response.status).toBe(403);
    expect(response.jsonBody).toMatchObject({ error: 'cross-site-request' });
    expect(stub.requests).toEqual([]);
  });
});
