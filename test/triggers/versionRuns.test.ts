import { HttpRequest, type HttpResponse } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBackfillRuns } from '../../src/activities/backfill/startRuns';
import { backfillRunInstanceId } from '../../src/domain/backfill';
import { instanceIdFor } from '../../src/domain/ids';
import type { ImageDocument } from '../../src/domain/types';
import type { ImageHttpDeps } from '../../src/triggers/http/deps';
import { createReprocessHandler } from '../../src/triggers/httpReprocess';
import { listInstancesByPrefix } from '../../src/triggers/instanceStatus';
import { invocationLogger } from '../../src/logging';
import { recordingContext, startDurableApiStub, type DurableApiStub } from './support/durableApiStub';
import { httpDepsForTests, uniqueBlobName, uploadSource } from './support/imageStore';

/**
 * One render per source version whoever starts first: a reprocess and a backfill of the same version each ask
 * for every run of the version (one `instanceIdPrefix` query through the real durable-functions client, against
 * the Durable HTTP API's paging) before starting their own. The reprocess handler reads Azurite and Cosmos.
 */
const CONTAINER = 'images-unprocessed';
const BACKFILL = 'backfill-race1';
let deps: ImageHttpDeps;
let stub: DurableApiStub;
let reprocess: ReturnType<typeof createReprocessHandler>;

beforeAll(async () => {
  deps = await httpDepsForTests();
  stub = await startDurableApiStub();
  reprocess = createReprocessHandler(() => deps);
});
afterAll(async () => {
  await stub.stop();
});
beforeEach(() => {
  stub.instances.clear();
  stub.requests.length = 0;
});

async function postReprocess(blobName: string): Promise<Record<string, unknown>> {
  const request = new HttpRequest({
    method: 'POST',
    url: `http://127.0.0.1:7071/api/reprocess/${encodeURI(blobName)}`,
    params: { blobName },
  });
  const response = (await reprocess(request, stub.client(), recordingContext().context)) as HttpResponse;
  expect(response.status).toBe(202);
  return (await response.json()) as Record<string, unknown>;
}

function backfill(blobName: string, eTag: string, log = recordingContext()) {
  return startBackfillRuns(
    {
      backfillInstanceId: BACKFILL,
      container: CONTAINER,
      only: 'all',
      sizes: deps.settings.sizes,
      blobs: [{ name: blobName, eTag, contentLength: 17, contentType: 'image/jpeg' }],
    },
    {
      readDocument: (): Promise<ImageDocument | undefined> => Promise.resolve(undefined),
      replacedGraceSeconds: deps.settings.replacedDerivativesGraceSeconds,
      client: stub.client(),
      log: invocationLogger(log.context, { instanceId: BACKFILL }),
    },
  );
}

/** Every run of the version, as the task hub lists them (the ids the starters chose). */
async function runsOf(blobName: string, eTag: string): Promise<string[]> {
  const runs = await listInstancesByPrefix(stub.client(), {
    instanceIdPrefix: instanceIdFor(CONTAINER, blobName, eTag),
  });
  return runs.map((run) => run.instanceId);
}

describe('one run per source version, whichever starter comes first', () => {
  it('a reprocess started first: the backfill starts nothing and waits for that run, saying why', async () => {
    const blobName = uniqueBlobName();
    const eTag = await uploadSource(deps, blobName);
    const started = await postReprocess(blobName);
    expect(started.following).toBeUndefined();

    const log = recordingContext();
    const result = await backfill(blobName, eTag, log);
    expect(result).toEqual({ codes: 'w', waits: [started.id] });
    expect(await runsOf(blobName, eTag)).toEqual([started.id]);
    expect(stub.requests.filter((request) => request.startsWith('POST'))).toHaveLength(1);
    expect(log.lines).toEqual([
      {
        level: 'information',
        line: expect.objectContaining({
          msg: 'backfill waits: another run of this version will write the sizes',
          blobName,
          reason: 'run-of-version-in-flight',
          runId: started.id,
        }),
      },
    ]);
  });

  it('a backfill started first: the reprocess follows its run instead of rendering again', async () => {
    const blobName = uniqueBlobName();
    const eTag = await uploadSource(deps, blobName);
    expect(await backfill(blobName, eTag)).toEqual({ codes: 's', waits: [] });
    const backfillRun = backfillRunInstanceId(BACKFILL, CONTAINER, blobName, eTag);

    const answer = await postReprocess(blobName);
    expect(answer).toMatchObject({ id: backfillRun, following: true });
    expect(answer.note).toMatch(
      /^a run of this version that is still in flight will write every requested size/,
    );
    expect(await runsOf(blobName, eTag)).toEqual([backfillRun]);
  });

  it('a run that has written its document (or was never planned with the sizes) is no reason to wait', async () => {
    const blobName = uniqueBlobName();
    const eTag = await uploadSource(deps, blobName);
    const first = await postReprocess(blobName);
    const run = stub.instances.get(String(first.id));
    if (!run) throw new Error('the reprocess started no run');
    run.runtimeStatus = 'Running';
    run.customStatus = { stage: 'cleanup-pending', status: 'completed', cleanupAt: '2026-11-30T02:00:00Z' };

    expect(await backfill(blobName, eTag)).toEqual({ codes: 's', waits: [] });
    expect((await runsOf(blobName, eTag)).sort()).toEqual(
      [String(first.id), backfillRunInstanceId(BACKFILL, CONTAINER, blobName, eTag)].sort(),
    );
  });
});
