import { randomUUID } from 'node:crypto';
import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ORCHESTRATOR_FUNCTION } from '../../src/domain/functionNames';
import { documentIdFor, instanceIdFor } from '../../src/domain/ids';
import type { ImageHttpDeps } from '../../src/triggers/http/deps';
import { createImageStatusHandler } from '../../src/triggers/httpImageStatus';
import {
  recordingContext,
  startDurableApiStub,
  type DurableApiStub,
  type StubInstance,
} from './support/durableApiStub';
import { principalHeader } from '../auth/support';
import { httpDepsForTests, seedDocument, uniqueBlobName, uploadSource } from './support/imageStore';

const CONTAINER = 'images-unprocessed';
let deps: ImageHttpDeps;
let stub: DurableApiStub;
let handler: ReturnType<typeof createImageStatusHandler>;

beforeAll(async () => {
  deps = await httpDepsForTests();
  stub = await startDurableApiStub();
  handler = createImageStatusHandler(() => deps);
});
afterAll(async () => {
  await stub.stop();
});
beforeEach(() => {
  stub.instances.clear();
});

function get(blobName: string, headers: Record<string, string> = {}, on = handler) {
  const request = new HttpRequest({
    method: 'GET',
    url: `http://127.0.0.1:7071/api/images/${encodeURI(blobName)}`,
    params: { blobName },
    headers,
  });
  return on(request, stub.client(), recordingContext().context);
}

function instance(instanceId: string, runtimeStatus: string, customStatus: unknown = null): StubInstance {
  const created = {
    name: ORCHESTRATOR_FUNCTION,
    instanceId,
    input: null,
    runtimeStatus,
    customStatus,
    output: null,
  };
  stub.instances.set(instanceId, created);
  return created;
}

describe('GET /api/images/{*blobName}', () => {
  it('404 with a clear body when neither blob, document nor instance is known', async () => {
    const blobName = uniqueBlobName();
    const response = await get(blobName);
    expect(response).toEqual({
      status: 404,
      jsonBody: {
        error: 'not-found',
        message: `No blob, document or orchestration is known for "${blobName}" in images-unprocessed`,
        blobName,
        documentId: documentIdFor(CONTAINER, blobName),
      },
    });
  });

  it('200 with the document, the instance it names, its status and the Durable status URLs', async () => {
    const blobName = uniqueBlobName('photo.png');
    const eTag = await uploadSource(deps, blobName);
    const document = await seedDocument(deps, blobName, eTag);
    instance(document.instanceId, 'Completed', { stage: 'done', status: 'completed' });

    const response = await get(blobName);
    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({
      blobName,
      documentId: document.id,
      instanceId: document.instanceId,
      runtimeStatus: 'Completed',
      customStatus: { stage: 'done', status: 'completed' },
      blob: { eTag, contentLength: 17, contentType: 'image/jpeg' },
      document: { ...document },
      // The app's own operator-checked endpoint; the Durable client's URLs carry `code=<system key>`.
      statusUrl: `http://127.0.0.1:7071/api/console/instances/${document.instanceId}`,
      historyUrl: `http://127.0.0.1:7071/api/console/instances/${document.instanceId}?history=true`,
    });
    expect(response.jsonBody).not.toHaveProperty('id');
    expect(JSON.stringify(response.jsonBody)).not.toMatch(/code=|runtime\/webhooks|test-system-key/);
  });

  it('no document yet: the instance for the blob’s current eTag', async () => {
    const blobName = uniqueBlobName();
    const eTag = await uploadSource(deps, blobName);
    const instanceId = instanceIdFor(CONTAINER, blobName, eTag);
    instance(instanceId, 'Running', { stage: 'resizing', sizes: ['thumb', 'medium', 'large'] });

    const response = await get(blobName);
    expect(response).toMatchObject({
      status: 200,
      jsonBody: { instanceId, runtimeStatus: 'Running', customStatus: { stage: 'resizing' }, document: null },
    });
  });

  it('after an overwrite, the run for the new version wins over the document’s older run', async () => {
    const blobName = uniqueBlobName();
    const oldETag = await uploadSource(deps, blobName, Buffer.from('version 1'));
    const document = await seedDocument(deps, blobName, oldETag);
    instance(document.instanceId, 'Completed');
    const newETag = await uploadSource(deps, blobName, Buffer.from('version 2'));
    const newInstanceId = instanceIdFor(CONTAINER, blobName, newETag);
    instance(newInstanceId, 'Running');

    const response = await get(blobName);
    expect(response.jsonBody).toMatchObject({
      instanceId: newInstanceId,
      runtimeStatus: 'Running',
      document: { sourceETag: oldETag },
    });
  });

  it('a reprocess run named by the document is reported (not the event-started run)', async () => {
    const blobName = uniqueBlobName();
    const eTag = await uploadSource(deps, blobName);
    const reprocessId = `${instanceIdFor(CONTAINER, blobName, eTag)}-rabc123`;
    await seedDocument(deps, blobName, eTag, { instanceId: reprocessId });
    instance(instanceIdFor(CONTAINER, blobName, eTag), 'Completed');
    instance(reprocessId, 'Completed');

    expect((await get(blobName)).jsonBody).toMatchObject({ instanceId: reprocessId });
  });

  it('a blob with no run and no document yet: 200 with nulls, not a 404', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    const response = await get(blobName);
    expect(response).toMatchObject({
      status: 200,
      jsonBody: {
        blobName,
        instanceId: null,
        runtimeStatus: null,
        document: null,
        blob: { contentLength: 17 },
      },
    });
    expect(response.jsonBody).not.toHaveProperty('statusQueryGetUri');
  });

  it('a deleted blob whose document remains: 200 with the document', async () => {
    const blobName = uniqueBlobName();
    const document = await seedDocument(deps, blobName, '"0x8DGONE"');
    const response = await get(blobName);
    expect(response).toMatchObject({
      status: 200,
      jsonBody: { blob: null, document: { id: document.id }, runtimeStatus: null },
    });
  });

  it.each([['a/../b.jpg'], [''], ['dir/']])('400 for the unsafe name %j', async (blobName) => {
    const response = await get(blobName);
    expect(response).toMatchObject({ status: 400, jsonBody: { error: 'invalid-blob-name' } });
  });

  it('a failing task hub is a server error, not a 404', async () => {
    const blobName = uniqueBlobName();
    await uploadSource(deps, blobName);
    stub.failWith = 500;
    try {
      await expect(get(blobName)).rejects.toThrow();
    } finally {
      stub.failWith = undefined;
    }
  });

  describe('behind App Service authentication', () => {
    const azureHandler = () =>
      createImageStatusHandler(() => ({
        ...deps,
        settings: { ...deps.settings, site: { ...deps.settings.site, devUserId: undefined } },
        authEnabled: true,
      }));

    it('a user reads their own upload, without the Durable management URLs', async () => {
      const objectId = randomUUID();
      const blobName = `users/${objectId}/0123456789abcdef-cat.jpg`;
      const eTag = await uploadSource(deps, blobName);
      const document = await seedDocument(deps, blobName, eTag);
      instance(document.instanceId, 'Completed');
      const response = await get(
        blobName,
        { 'x-ms-client-principal': principalHeader({ objectId }) },
        azureHandler(),
      );
      expect(response).toMatchObject({
        status: 200,
        jsonBody: { runtimeStatus: 'Completed', document: { id: document.id } },
      });
      expect(response.jsonBody).not.toHaveProperty('statusUrl');
      expect(JSON.stringify(response.jsonBody)).not.toMatch(/code=|runtime\/webhooks/);
    });

    it("another user's upload is a 404, exactly like a missing one; an operator sees it with the URLs", async () => {
      const blobName = `users/${randomUUID()}/0123456789abcdef-cat.jpg`;
      const eTag = await uploadSource(deps, blobName);
      const document = await seedDocument(deps, blobName, eTag);
      instance(document.instanceId, 'Completed');
      const stranger = await get(
        blobName,
        { 'x-ms-client-principal': principalHeader({ objectId: randomUUID() }) },
        azureHandler(),
      );
      expect(stranger.status).toBe(404);
      expect(stranger.jsonBody).toMatchObject({ error: 'not-found' });
      const operator = await get(
        blobName,
        { 'x-ms-client-principal': principalHeader({ objectId: randomUUID(), roles: ['ImageOperator'] }) },
        azureHandler(),
      );
      expect(operator.status).toBe(200);
      expect(operator.jsonBody).toHaveProperty('statusUrl');
      expect((await get(blobName, {}, azureHandler())).status).toBe(401);
    });
  });
});
