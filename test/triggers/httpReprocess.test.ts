import { HttpRequest, HttpResponse } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ORCHESTRATOR_FUNCTION } from '../../src/domain/functionNames';
import { instanceIdFor } from '../../src/domain/ids';
import { newRunInput } from '../../src/domain/runInput';
import type { ResizeOrchestrationInput, ResizeOutcome, SourceRef } from '../../src/domain/types';
import { createResizeHandler } from '../../src/activities/resize/resizeHandler';
import { resizeDeps } from '../activities/resizeFixture';
import { makePhoto } from '../support/images';
import type { ImageHttpDeps } from '../../src/triggers/http/deps';
import { createReprocessHandler } from '../../src/triggers/httpReprocess';
import { principalHeader, USER_OID } from '../auth/support';
import { recordingContext, startDurableApiStub, type DurableApiStub } from './support/durableApiStub';
import { httpDepsForTests, seedDocument, uniqueBlobName, uploadSource } from './support/imageStore';
import { TRANSIENT_RETRY } from '../../src/orchestrators/retryPolicy';

const CONTAINER = 'images-unprocessed';
let deps: ImageHttpDeps;
let stub: DurableApiStub;
let handler: ReturnType<typeof createReprocessHandler>;

beforeAll(async () => {
  deps = await httpDepsForTests();
  stub = await startDurableApiStub();
  handler = createReprocessHandler(() => deps);
});
afterAll(async () => {
  await stub.stop();
});
beforeEach(() => {
  stub.instances.clear();
  stub.requests.length = 0;
});

function postRequest(blobName: string, query = '', body?: string) {
  return new HttpRequest({
    method: 'POST',
    url: `http://127.0.0.1:7071/api/reprocess/${encodeURI(blobName)}${query}`,
    params: { blobName },
    ...(body === undefined
      ? {}
      : { body: { string: body }, headers: { 'content-type': 'application/json' } }),
  });
}

function post(blobName: string, query = '', body?: string) {
  return handler(postRequest(blobName, query, body), stub.client(), recordingContext().context);
}

function startedInput(instanceId: string): ResizeOrchestrationInput {
  return stub.instances.get(instanceId)?.input as ResizeOrchestrationInput;
}

describe('POST /api/reprocess/{*blobName}', () => {
  it('202 with status URLs on the request origin; a fresh instance on the current version with every size', async () => {
    const blobName = uniqueBlobName();
    const eTag = await uploadSource(deps, blobName);
    const document = await seedDocument(deps, blobName, eTag);

    const response = await post(blobName);
    expect(response).toBeInstanceOf(HttpResponse);
    const http = response as HttpResponse;
    expect(http.status).toBe(202);
    const body = (await http.json()) as Record<string, string>;
    const instanceId = body.id ?? '';
    expect(instanceId).toMatch(new RegExp(`^${instanceIdFor(CONTAINER, blobName, eTag)}-r[0-9a-z]+$`));
    expect(body.statusUrl).toBe(`http://127.0.0.1:7071/api/console/instances/${instanceId}`);
    expect(http.headers.get('location')).toBe(body.statusUrl);
    // The Durable management URLs (with the extension's system key) never reach the caller.
    expect(JSON.stringify(body)).not.toMatch(/code=|runtime\/webhooks|test-system-key/);
    // First every run of the version (one instanceIdPrefix query, none found), then the start.
    expect(stub.requests).toEqual([
      `GET instances/`,
      `POST orchestrators/${ORCHESTRATOR_FUNCTION}/${instanceId}`,
    ]);
    // Exactly the one builder's input for this source and plan: every flag of a new run comes from there.
    expect(startedInput(instanceId)).toEqual(
      newRunInput(
        {
          container: CONTAINER,
          blobName,
          eTag,
          // The document describes this version, so its event sequencer is reused.
          sequencer: document.sourceSequencer,
          contentLength: 17,
          contentType: 'image/jpeg',
        },
        {
          sizes: deps.settings.sizes,
          retry: {
            transient: TRANSIENT_RETRY,
            redriveDelaysSeconds: deps.settings.redriveDelaysSeconds,
          },
          replacedGraceSeconds: deps.settings.replacedDerivativesGraceSeconds,
        },
      ),
    );
  });

  it('a reprocess follows a run of the version that will still write the sizes; once it has, a new instance', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    const first = (await ((await post(blobName)) as HttpResponse).json()) as Record<string, unknown>;
    const second = (await ((await post(blobName)) as HttpResponse).json()) as Record<string, unknown>;
    expect(second).toMatchObject({ id: first.id, following: true, statusUrl: first.statusUrl });
    expect(stub.instances.size).toBe(1);
    const run = stub.instances.get(String(first.id));
    if (!run) throw new Error('no run started');
    run.runtimeStatus = 'Completed';
    run.customStatus = { stage: 'done', status: 'completed' };
    const third = (await ((await post(blobName)) as HttpResponse).json()) as Record<string, unknown>;
    expect(third.id).not.toBe(first.id);
    expect(third.following).toBeUndefined();
    expect(stub.instances.size).toBe(2);
  });

  it('?sizes=medium,thumb re-runs only those sizes, in catalog order', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    const response = (await post(blobName, '?sizes=medium,thumb,medium')) as HttpResponse;
    const { id } = (await response.json()) as { id: string };
    expect(startedInput(id).sizes.map((size) => size.label)).toEqual(['thumb', 'medium']);
  });

  it('?sizes=thumb&sizes=medium re-runs both sizes, not only the first parameter', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    const response = (await post(blobName, '?sizes=thumb&sizes=medium')) as HttpResponse;
    const { id } = (await response.json()) as { id: string };
    expect(startedInput(id).sizes.map((size) => size.label)).toEqual(['thumb', 'medium']);
  });

  it('an unknown label in a repeated ?sizes= is a 400 naming it', async () => {
    const response = await post(uniqueBlobName(), '?sizes=thumb&sizes=huge');
    expect(response).toMatchObject({ status: 400, jsonBody: { error: 'unknown-sizes', unknown: ['huge'] } });
    expect(stub.requests).toEqual([]);
  });

  it('an unknown size label is a 400 naming it, and starts nothing', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    const response = await post(blobName, '?sizes=thumb,huge,tiny');
    expect(response).toEqual({
      status: 400,
      jsonBody: {
        error: 'unknown-sizes',
        message:
          'Expected size labels from thumb, medium, large for sizes but received unknown size labels huge, tiny',
        unknown: ['huge', 'tiny'],
        known: ['thumb', 'medium', 'large'],
      },
    });
    expect(stub.requests).toEqual([]);
  });

  it('a JSON body { "sizes": [...] } picks the sizes as the query does', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    const response = (await post(
      blobName,
      '',
      JSON.stringify({ sizes: ['large', 'thumb'] }),
    )) as HttpResponse;
    expect(response.status).toBe(202);
    const { id, sizes } = (await response.json()) as { id: string; sizes: string[] };
    expect(sizes).toEqual(['thumb', 'large']);
    expect(startedInput(id).sizes.map((size) => size.label)).toEqual(['thumb', 'large']);
  });

  it('a body naming an unknown size, other keys, sizes twice or not an array is a 400 that starts nothing', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    expect(await post(blobName, '', JSON.stringify({ sizes: ['x'] }))).toMatchObject({
      status: 400,
      jsonBody: { error: 'unknown-sizes', unknown: ['x'] },
    });
    expect(await post(blobName, '', JSON.stringify({ sizes: [] }))).toMatchObject({
      status: 400,
      jsonBody: { error: 'unknown-sizes', unknown: [] },
    });
    expect(await post(blobName, '', JSON.stringify({ size: 'thumb' }))).toMatchObject({
      status: 400,
      jsonBody: {
        error: 'invalid-request',
        message: 'Expected only "sizes" in the body but received "size"',
      },
    });
    expect(await post(blobName, '?sizes=thumb', JSON.stringify({ sizes: ['thumb'] }))).toMatchObject({
      status: 400,
      jsonBody: { error: 'invalid-request', message: 'Expected sizes in the query or in the body, not both' },
    });
    expect(await post(blobName, '', JSON.stringify({ sizes: 'thumb' }))).toMatchObject({
      status: 400,
      jsonBody: {
        error: 'invalid-request',
        message: 'Expected an array of size labels for sizes but received "thumb"',
      },
    });
    expect(await post(blobName, '', '{"sizes":')).toMatchObject({
      status: 400,
      jsonBody: { error: 'invalid-request' },
    });
    expect(stub.requests).toEqual([]);
  });

  it('an empty ?sizes= is a 400', async () => {
    const response = await post(uniqueBlobName(), '?sizes=');
    expect(response).toMatchObject({ status: 400, jsonBody: { error: 'unknown-sizes', unknown: [] } });
  });

  it('404 JSON for a blob that does not exist', async () => {
    const blobName = uniqueBlobName();
    const response = await post(blobName);
    expect(response).toEqual({
      status: 404,
      jsonBody: { error: 'not-found', message: `No blob "${blobName}" in images-unprocessed`, blobName },
    });
    expect(stub.requests).toEqual([]);
  });

  it('a document for another version: the sequencer is left empty for the writer to decide', async () => {
    const blobName = uniqueBlobName();
    const oldETag = await uploadSource(deps, blobName, Buffer.from('version 1'));
    await seedDocument(deps, blobName, oldETag);
    const newETag = await uploadSource(deps, blobName, Buffer.from('version 2!'));

    const response = (await post(blobName)) as HttpResponse;
    const { id } = (await response.json()) as { id: string };
    expect(startedInput(id).source).toMatchObject({ eTag: newETag, sequencer: '', contentLength: 10 });
  });

  it('no document yet: the sequencer is empty too', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    const { id } = (await ((await post(blobName)) as HttpResponse).json()) as { id: string };
    expect(startedInput(id).source.sequencer).toBe('');
  });

  it('400 for an unsafe name', async () => {
    expect(await post('../secrets.jpg')).toMatchObject({
      status: 400,
      jsonBody: { error: 'invalid-blob-name' },
    });
  });

  it('behind App Service authentication only operators start a run (401 anonymous, 403 without the role)', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    const azure = createReprocessHandler(() => ({
      ...deps,
      settings: { ...deps.settings, site: { ...deps.settings.site, devUserId: undefined } },
      authEnabled: true,
    }));
    const call = (headers: Record<string, string>) =>
      azure(
        new HttpRequest({
          method: 'POST',
          url: `http://127.0.0.1:7071/api/reprocess/${encodeURI(blobName)}`,
          params: { blobName },
          headers,
        }),
        stub.client(),
        recordingContext().context,
      );
    expect(await call({})).toMatchObject({ status: 401 });
    expect(await call({ 'x-ms-client-principal': principalHeader({ objectId: USER_OID }) })).toMatchObject({
      status: 403,
    });
    expect(stub.instances.size).toBe(0);
    const started = await call({
      'x-ms-client-principal': principalHeader({ objectId: USER_OID, roles: ['ImageOperator'] }),
    });
    expect((started as HttpResponse).status).toBe(202);
    expect(stub.instances.size).toBe(1);
  });

  it('says from storage which sizes are stored for this version, stored with other settings, or to render', async () => {
    const blobName = uniqueBlobName();
    const eTag = await uploadSource(
      deps,
      blobName,
      await makePhoto({ width: 800, height: 600, format: 'jpeg' }),
    );
    const thumbSpec = deps.settings.sizes.find((size) => size.label === 'thumb')!;
    const source: SourceRef = {
      container: deps.settings.unprocessedContainer,
      blobName,
      eTag,
      sequencer: '00000000000000000000000000000042',
      contentLength: 0,
      contentType: 'image/jpeg',
    };
    // The real resize activity stores thumb (with its settings in the blob's metadata).
    const resize = createResizeHandler(() => resizeDeps(deps.settings, deps.blobService));
    const resizeThumb = async () =>
      (await resize(
        { source, size: thumbSpec, instanceId: 'img-test' },
        recordingContext().context,
      )) as ResizeOutcome;
    const thumb = await resizeThumb();
    expect(thumb.ok).toBe(true);
    await seedDocument(deps, blobName, eTag, { variants: thumb.variants });
    type Answer = { sizes: string[]; alreadyPresent: string[]; renditionChanged: string[]; note?: string };
    // Each answer's run has ended before the next request (no run of the version is in flight to follow).
    const answer = async (query: string, handle = handler): Promise<Answer> => {
      for (const instance of stub.instances.values()) instance.runtimeStatus = 'Completed';
      const response = (await handle(
        postRequest(blobName, query),
        stub.client(),
        recordingContext().context,
      )) as HttpResponse;
      return (await response.json()) as Answer;
    };

    const both = await answer('?sizes=thumb,medium');
    expect([both.sizes, both.alreadyPresent, both.renditionChanged]).toEqual([
      ['thumb', 'medium'],
      ['thumb'],
      [],
    ]);
    expect(both.note).toMatch(
      /^thumb: stored for this version with these settings: the run will re-record them/,
    );

    // Deleted since: the document still lists it, but the run will render and write it, and the answer says so.
    await deps.derivativeBlobService
      .getContainerClient(deps.settings.processedContainer)
      .deleteBlob(thumb.variants[0]!.blobName);
    const deleted = await answer('?sizes=thumb');
    expect([deleted.alreadyPresent, deleted.renditionChanged, deleted.note]).toEqual([[], [], undefined]);

    // Stored again, then the label is retuned: the run will keep the blob and record `rendition-changed`.
    expect((await resizeThumb()).ok).toBe(true);
    const retuned = createReprocessHandler(() => ({
      ...deps,
      settings: {
        ...deps.settings,
        sizes: deps.settings.sizes.map((size) =>
          size.label === 'thumb' ? { ...size, width: 100, height: 100 } : size,
        ),
      },
    }));
    const changed = await answer('?sizes=thumb', retuned);
    expect([changed.alreadyPresent, changed.renditionChanged]).toEqual([[], ['thumb']]);
    expect(changed.note).toMatch(
      /^thumb: stored for this version with other settings: .*`rendition-changed`/,
    );

    // Retuned AND given a new format: the stored JPEG keeps its blob (`rendition-changed`), WebP is rendered.
    const widened = createReprocessHandler(() => ({
      ...deps,
      settings: {
        ...deps.settings,
        sizes: deps.settings.sizes.map((size) =>
          size.label === 'thumb'
            ? { ...size, width: 100, height: 100, formats: [...size.formats, 'webp' as const] }
            : size,
        ),
      },
    }));
    const partly = await answer('?sizes=thumb', widened);
    expect([partly.alreadyPresent, partly.renditionChanged]).toEqual([[], ['thumb']]);
    // Only given a new format (settings of the stored JPEG unchanged): rendered, nothing changed.
    const added = createReprocessHandler(() => ({
      ...deps,
      settings: {
        ...deps.settings,
        sizes: deps.settings.sizes.map((size) =>
          size.label === 'thumb' ? { ...size, formats: [...size.formats, 'webp' as const] } : size,
        ),
      },
    }));
    const more = await answer('?sizes=thumb', added);
    expect([more.alreadyPresent, more.renditionChanged]).toEqual([[], []]);
    // The retuned run's resize activity does what the answer said.
    const widenedSpec = {
      ...thumbSpec,
      width: 100,
      height: 100,
      formats: [...thumbSpec.formats, 'webp' as const],
    };
    const run = (await resize(
      { source, size: widenedSpec, instanceId: 'img-test' },
      recordingContext().context,
    )) as ResizeOutcome;
    expect(run.errors?.map((error) => [error.code, error.format])).toEqual([['rendition-changed', 'jpeg']]);
    expect(run.variants.map((variant) => variant.format).sort()).toEqual(['jpeg', 'webp']);

    // A document of another version: that version's derivatives are not this version's names.
    const other = uniqueBlobName();
    await uploadSource(deps, other);
    await seedDocument(deps, other, '"0xOTHER"', { variants: thumb.variants });
    const fresh = (await ((await post(other, '?sizes=thumb')) as HttpResponse).json()) as Record<
      string,
      unknown
    >;
    expect(fresh.alreadyPresent).toEqual([]);
    expect(fresh.renditionChanged).toEqual([]);
    expect(fresh).not.toHaveProperty('note');
  });
});
