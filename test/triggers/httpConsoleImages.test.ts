import { HttpRequest } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORCHESTRATOR_FUNCTION } from '../../src/domain/functionNames';
import type { ImageDocument } from '../../src/domain/types';
import type { ImageHttpDeps } from '../../src/triggers/http/deps';
import { createConsoleImagesHandler } from '../../src/triggers/httpConsoleImages';
import { principalHeader, USER_OID } from '../auth/support';
import { recordingContext, startDurableApiStub, type DurableApiStub } from './support/durableApiStub';
import { httpDepsForTests, seedDocument } from './support/imageStore';

let deps: ImageHttpDeps;
let stub: DurableApiStub;
const prefix = `users/${randomUUID().slice(0, 8)}/`;
const seeded: ImageDocument[] = [];

interface Item {
  blobName: string;
  status: string;
  errors: Array<{ code: string }>;
  instance: { instanceId: string; runtimeStatus: string; historyUrl: string } | null;
  reprocessUrl: string;
}
interface Page {
  items: Item[];
  continuation: string | null;
  sizes: string[];
}

beforeAll(async () => {
  deps = await httpDepsForTests();
  stub = await startDurableApiStub();
  // Seven documents, updated a minute apart; every third failed with not-an-image.
  for (let i = 0; i < 7; i++) {
    const failed = i % 3 === 0;
    const document = await seedDocument(deps, `${prefix}photo-${i}.jpg`, `"0x8D${i}"`, {
      updatedAt: new Date(Date.UTC(2026, 10, 29, 12, i)).toISOString(),
      status: failed ? 'failed' : 'completed',
      errors: failed ? [{ code: 'not-an-image', message: 'no image signature' }] : [],
    });
    seeded.push(document);
    stub.instances.set(document.instanceId, {
      name: ORCHESTRATOR_FUNCTION,
      instanceId: document.instanceId,
      input: null,
      runtimeStatus: 'Completed',
      customStatus: 'done',
      output: null,
    });
  }
});
afterAll(async () => {
  await stub.stop();
});

async function list(query: string, settingsDeps: ImageHttpDeps = deps, headers: Record<string, string> = {}) {
  const handler = createConsoleImagesHandler(() => settingsDeps);
  const request = new HttpRequest({
    method: 'GET',
    url: `http://127.0.0.1:7071/api/console/images?${query}`,
    headers,
  });
  return handler(request, stub.client(), recordingContext().context);
}

const p = encodeURIComponent(prefix);

describe('GET /api/console/images', () => {
  it('newest first, paged with a continuation until the last page', async () => {
    const names: string[] = [];
    let continuation: string | null = null;
    let pages = 0;
    do {
      const response = await list(
        `prefix=${p}&pageSize=3${continuation ? `&continuation=${continuation}` : ''}`,
      );
      expect(response.status).toBe(200);
      const page = response.jsonBody as Page;
      expect(page.items.length).toBeLessThanOrEqual(3);
      names.push(...page.items.map((item) => item.blobName));
      continuation = page.continuation;
      pages++;
    } while (continuation !== null && pages < 10);
    expect(names).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `${prefix}photo-${i}.jpg`));
    expect(pages).toBe(3);
  });

  it('each item carries its run status, a history link and its reprocess URL; the page the size labels', async () => {
    const response = await list(`prefix=${p}&pageSize=1`);
    const page = response.jsonBody as Page;
    const [item] = page.items;
    expect(item?.instance).toMatchObject({ instanceId: seeded[6]?.instanceId, runtimeStatus: 'Completed' });
    expect(item?.instance?.historyUrl).toBe(
      `http://127.0.0.1:7071/api/console/instances/${seeded[6]?.instanceId}?history=true`,
    );
    // Never the Durable management URLs: in Azure they carry the extension's system key.
    expect(JSON.stringify(page)).not.toMatch(/code=|runtime\/webhooks|test-system-key/);
    expect(item?.reprocessUrl).toBe(`http://127.0.0.1:7071/api/reprocess/${prefix}photo-6.jpg`);
    expect(page.sizes).toEqual(['thumb', 'medium', 'large']);
  });

  it('filters by status and by error code', async () => {
    const failed = (await list(`prefix=${p}&status=failed`)).jsonBody as Page;
    expect(failed.items.map((item) => item.blobName)).toEqual(
      [6, 3, 0].map((i) => `${prefix}photo-${i}.jpg`),
    );
    const byCode = (await list(`prefix=${p}&errorCode=not-an-image`)).jsonBody as Page;
    expect(byCode.items.map((item) => item.blobName)).toEqual(failed.items.map((item) => item.blobName));
    const none = (await list(`prefix=${p}&errorCode=corrupt-image`)).jsonBody as Page;
    expect(none.items).toEqual([]);
    const completed = (await list(`prefix=${p}&status=completed`)).jsonBody as Page;
    expect(completed.items).toHaveLength(4);
  });

  it('400 for an unknown status, error code or page size', async () => {
    for (const query of ['status=done', 'errorCode=oops', 'pageSize=0', 'pageSize=101', 'pageSize=x']) {
      const response = await list(query);
      expect(response, query).toMatchObject({ status: 400, jsonBody: { error: 'invalid-query' } });
    }
  });

  it('400, not 500, for a continuation token that no page handed out', async () => {
    for (const query of [
      'continuation=garbage',
      `continuation=${Buffer.from('{"token":1}').toString('base64url')}`,
    ]) {
      const response = await list(query);
      expect(response, query).toMatchObject({ status: 400, jsonBody: { error: 'invalid-query' } });
    }
  });

  it('operators only behind App Service authentication', async () => {
    const azure: ImageHttpDeps = {
      ...deps,
      settings: { ...deps.settings, site: { ...deps.settings.site, devUserId: undefined } },
      authEnabled: true,
    };
    expect((await list('', azure)).status).toBe(401);
    const user = await list('', azure, { 'x-ms-client-principal': principalHeader({ objectId: USER_OID }) });
    expect(user.status).toBe(403);
    const operator = await list(`prefix=${p}`, azure, {
      'x-ms-client-principal': principalHeader({ objectId: USER_OID, roles: ['ImageOperator'] }),
    });
    expect(operator.status).toBe(200);
    expect((operator.jsonBody as Page).items).toHaveLength(7);
  });
});
