import type { DurableOrchestrationStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { startBackfillRuns } from '../../src/activities/backfill/startRuns';
import { willProduce } from '../../src/triggers/versionRuns';
import { backfillRunInstanceId } from '../../src/domain/backfill';
import { instanceIdFor } from '../../src/domain/ids';
import { newRunInput } from '../../src/domain/runInput';
import { retryPlanFor } from '../../src/orchestrators/retryPolicy';
import { runState } from '../../src/activities/backfill/checkRuns';
import type { ImageDocument, SizeSpec } from '../../src/domain/types';
import { startDurableApiStub } from '../triggers/support/durableApiStub';

const thumb: SizeSpec = { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source'] };
const xl: SizeSpec = { label: 'xl', width: 2048, height: 2048, fit: 'inside', formats: ['source'] };

/** A status as the Durable HTTP API answers it for an upload's run (input shown). */
function uploadRun(
  runtimeStatus: string,
  customStatus: unknown,
  sizes: SizeSpec[],
): DurableOrchestrationStatus {
  return {
    name: 'resizeImageOrchestrator',
    instanceId: 'img-1',
    runtimeStatus,
    customStatus,
    input: { source: { blobName: 'a.jpg', eTag: '"0x1"' }, sizes },
    output: null,
    createdTime: new Date(0),
    lastUpdatedTime: new Date(0),
  } as unknown as DurableOrchestrationStatus;
}

describe('willProduce: whether a backfill defers to the upload run of the same version', () => {
  it('defers only to a run that has not written its document and planned every requested size', () => {
    expect(willProduce(uploadRun('Pending', null, [thumb, xl]), [xl])).toBe(true);
    expect(
      willProduce(uploadRun('Running', { stage: 'resizing', sizes: ['thumb', 'xl'] }, [thumb, xl]), [xl]),
    ).toBe(true);
    // The run's plan predates the new size: it will never write it.
    expect(willProduce(uploadRun('Running', { stage: 'resizing', sizes: ['thumb'] }, [thumb]), [xl])).toBe(
      false,
    );
    // Document written, waiting 900 s on the replaced derivatives' cleanup: it writes nothing more.
    const cleanup = { stage: 'cleanup-pending', status: 'completed', cleanupAt: '2026-11-29T23:00:00Z' };
    expect(willProduce(uploadRun('Running', cleanup, [thumb, xl]), [xl])).toBe(false);
    expect(
      willProduce(uploadRun('Completed', { stage: 'done', status: 'completed' }, [thumb, xl]), [xl]),
    ).toBe(false);
    expect(willProduce(uploadRun('Failed', null, [thumb, xl]), [xl])).toBe(false);
    expect(willProduce(undefined, [xl])).toBe(false);
  });
});

describe('runState: when a run stops holding a backfill slot', () => {
  it('is over once the document is written, even while the cleanup timer waits', () => {
    const cleanup = (status: string) => ({ stage: 'cleanup-pending', status, cleanupAt: 'x' });
    expect(runState(uploadRun('Running', cleanup('completed'), [xl]))).toBe('completed');
    expect(runState(uploadRun('Running', cleanup('failed'), [xl]))).toBe('failed');
    expect(runState(uploadRun('Running', { stage: 'writing-document' }, [xl]))).toBe('running');
    expect(runState(uploadRun('Terminated', null, [xl]))).toBe('failed');
    expect(runState(undefined)).toBe('failed');
  });
});

describe('startBackfillRuns against the Durable HTTP API (the extension stubbed, the real client)', () => {
  const container = 'images-unprocessed';
  const backfillId = 'backfill-crash1';
  const listed = (name: string) => ({ name, eTag: '"0x1"', contentLength: 100, contentType: 'image/jpeg' });
  const withXl = {
    sourceETag: '0x1',
    sourceSequencer: '0'.repeat(32),
    status: 'completed',
    variants: [
      { label: 'thumb', format: 'jpeg' },
      { label: 'xl', format: 'jpeg' },
    ],
    errors: [],
  } as unknown as ImageDocument;
  const listedSource = (name: string) => {
    const { eTag, contentLength, contentType } = listed(name);
    return { blobName: name, eTag, contentLength, contentType };
  };
  const withoutXl = { ...withXl, variants: [{ label: 'thumb', format: 'jpeg' }] } as unknown as ImageDocument;

  it('counts a run it started before a crash as started even once its document is up to date', async () => {
    const stub = await startDurableApiStub();
    try {
      const blobs = [listed('done-before-crash.jpg'), listed('up-to-date.jpg')];
      // The first blob's run was started by this backfill and has already written xl.
      const runId = backfillRunInstanceId(backfillId, container, 'done-before-crash.jpg', '"0x1"');
      stub.instances.set(runId, {
        name: 'resizeImageOrchestrator',
        instanceId: runId,
        input: null,
        runtimeStatus: 'Completed',
        customStatus: { stage: 'done', status: 'completed' },
        output: null,
      });
      const result = await startBackfillRuns(
        { backfillInstanceId: backfillId, container, only: 'missing', sizes: [xl], blobs },
        { readDocument: () => Promise.resolve(withXl), replacedGraceSeconds: 60, client: stub.client() },
      );
      expect(result).toEqual({ codes: 'su', waits: [] });
      expect(stub.requests.filter((request) => request.startsWith('POST'))).toEqual([]);
    } finally {
      await stub.stop();
    }
  });

  it('starts beside an upload run waiting on cleanup, waits for one that will write the size', async () => {
    const stub = await startDurableApiStub();
    try {
      const blobs = [listed('cleanup.jpg'), listed('resizing.jpg'), listed('old-plan.jpg')];
      const upload = (name: string, customStatus: unknown, sizes: SizeSpec[]) => {
        const instanceId = instanceIdFor(container, name, '"0x1"');
        stub.instances.set(instanceId, {
          name: 'resizeImageOrchestrator',
          instanceId,
          input: { source: { blobName: name, eTag: '"0x1"' }, sizes },
          runtimeStatus: 'Running',
          customStatus,
          output: null,
        });
      };
      upload('cleanup.jpg', { stage: 'cleanup-pending', status: 'completed', cleanupAt: 'x' }, [thumb, xl]);
      upload('resizing.jpg', { stage: 'resizing', sizes: ['thumb', 'xl'] }, [thumb, xl]);
      upload('old-plan.jpg', { stage: 'resizing', sizes: ['thumb'] }, [thumb]);
      const result = await startBackfillRuns(
        { backfillInstanceId: backfillId, container, only: 'missing', sizes: [xl], blobs },
        { readDocument: () => Promise.resolve(withoutXl), replacedGraceSeconds: 60, client: stub.client() },
      );
      expect(result).toEqual({ codes: 'sws', waits: [instanceIdFor(container, 'resizing.jpg', '"0x1"')] });
      for (const name of ['cleanup.jpg', 'old-plan.jpg']) {
        const started = stub.instances.get(backfillRunInstanceId(backfillId, container, name, '"0x1"'));
        // Exactly the one builder's input: every flag of a new run comes from there. The document describes
        // this version, so its sequencer is reused; a backfill's run has no re-drive rounds, and its cleanup
        // waits REPLACED_DERIVATIVES_GRACE_SECONDS as every other run's does.
        expect(started?.input).toMatchObject({ replacedGraceSeconds: 60 });
        expect(started?.input).toEqual(
          newRunInput(
            { container, ...listedSource(name), sequencer: withoutXl.sourceSequencer },
            { sizes: [xl], retry: retryPlanFor([]), replacedGraceSeconds: 60 },
          ),
        );
      }
      expect(stub.instances.has(backfillRunInstanceId(backfillId, container, 'resizing.jpg', '"0x1"'))).toBe(
        false,
      );
    } finally {
      await stub.stop();
    }
  });
});
