import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageHttpDeps } from '../../src/triggers/http/deps';
import { createConsoleInstanceHandler } from '../../src/triggers/httpConsoleInstance';
import { principalHeader } from '../auth/support';
import { recordingContext, startDurableApiStub, type DurableApiStub } from './support/durableApiStub';
import { httpDepsForTests } from './support/imageStore';

let deps: ImageHttpDeps;
let stub: DurableApiStub;

beforeAll(async () => {
  deps = await httpDepsForTests();
  stub = await startDurableApiStub();
});
afterAll(async () => {
  await stub.stop();
});

function get(
  instanceId: string,
  query = '',
  headers: Record<string, string> = {},
  handler = createConsoleInstanceHandler(() => deps),
): Promise<HttpResponseInit> {
  const request = new HttpRequest({
    method: 'GET',
    url: `http://127.0.0.1:7071/api/console/instances/${encodeURIComponent(instanceId)}${query}`,
    params: { instanceId },
    headers,
  });
  return handler(request, stub.client(), recordingContext().context);
}

describe('GET /api/console/instances/{instanceId}', () => {
  it('reads the instance server-side: its status, and no Durable management URL or key', async () => {
    stub.instances.set('img-abc-r1', {
      name: 'resizeImageOrchestrator',
      instanceId: 'img-abc-r1',
      input: { secret: 'not shown' },
      runtimeStatus: 'Completed',
      customStatus: { stage: 'done' },
      output: { status: 'completed' },
    });
    const response = await get('img-abc-r1');
    expect(response).toMatchObject({
      status: 200,
      headers: { 'cache-control': 'no-store' },
      jsonBody: {
        instanceId: 'img-abc-r1',
        name: 'resizeImageOrchestrator',
        runtimeStatus: 'Completed',
        customStatus: { stage: 'done' },
        output: { status: 'completed' },
      },
    });
    expect(response.jsonBody).not.toHaveProperty('history');
    expect(JSON.stringify(response.jsonBody)).not.toMatch(
      /code=|runtime\/webhooks|test-system-key|not shown/,
    );
    // `?history=true` reads the extension's status URL on the server: covered against the local host's real
    // Durable HTTP API in test/e2e/pipeline.test.ts.
  });

  it('404 for an instance the task hub does not know; 400 for an id this app never makes', async () => {
    expect(await get('img-nobody')).toMatchObject({ status: 404, jsonBody: { error: 'not-found' } });
    expect(await get('../admin')).toMatchObject({ status: 400, jsonBody: { error: 'invalid-request' } });
  });

  it('behind App Service authentication: operators only (401 anonymous, 403 without the role)', async () => {
    const azure = createConsoleInstanceHandler(() => ({
      ...deps,
      settings: { ...deps.settings, site: { ...deps.settings.site, devUserId: undefined } },
      authEnabled: true,
    }));
    expect((await get('img-abc-r1', '', {}, azure)).status).toBe(401);
    const user = {
      'x-ms-client-principal': principalHeader({ objectId: '0f0e0d0c-0000-4000-8000-000000000001' }),
    };
    expect((await get('img-abc-r1', '', user, azure)).status).toBe(403);
    const operator = {
      'x-ms-client-principal': principalHeader({
        objectId: '0f0e0d0c-0000-4000-8000-000000000002',
        roles: ['ImageOperator'],
      }),
    };
    expect((await get('img-abc-r1', '', operator, azure)).status).toBe(200);
  });
});
