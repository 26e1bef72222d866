import type { DurableOrchestrationStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { willProduce } from '../../src/activities/backfill/startRuns';
import { runState } from '../../src/activities/backfill/checkRuns';
import type { SizeSpec } from '../../src/domain/types';

const thumb: SizeSpec = { label: 'thumb', width: 150, height: 150 };
const xl: SizeSpec = { label: 'xl', width: 2048, height: 2048 };

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
