import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { StackOptions } from '@image-derivatives/devhost';
import { ORCHESTRATOR_FUNCTION } from '../../src/domain/functionNames';
import { instanceIdFor } from '../../src/domain/ids';
import type { ResizeOrchestrationInput, SizeSpec } from '../../src/domain/types';
import { blobEndpointOf, startFaultProxy, withBlobEndpoint, type FaultProxy } from '../support/faultProxy';
import { repoRoot, uploadBlob } from '../support/e2eStack';
import { makePhoto } from '../support/images';
import { startStackProcess, type StackProcess } from '../support/stackProcess';

/**
 * A label removed from IMAGE_SIZES while an instance that planned it is still running: the app restarts with
 * the new settings (as a deployment does), the instance resumes on the same task hub and calls `resize-{label}`.
 * With the label in RETIRED_SIZES that activity is still registered and the instance finishes.
 */
const stackModule = path.join(repoRoot, 'packages/devhost/dist/index.js');
const runId = Date.now().toString(36);
const SOURCES = `retired-src-${runId}`;
const PROCESSED = `retired-out-${runId}`;
const xl: SizeSpec = { label: 'xl', width: 1000, height: 1000, fit: 'inside', formats: ['source'] };
const thumb: SizeSpec = { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source'] };

let proxy: FaultProxy;
const running: StackProcess[] = [];

function stackOptions(settings: Record<string, string>): StackOptions {
  const azurite = inject('azuriteConnectionString');
  return {
    appRoot: repoRoot,
    port: 0,
    azurite: { connectionString: azurite },
    cosmos: { endpoint: inject('cosmosEndpoint'), key: inject('cosmosKey') },
    taskHub: `Retired${runId}`,
    quiet: true, // warnings are still written
    settings: {
      IMAGES_STORAGE: withBlobEndpoint(azurite, proxy.blobEndpoint),
      UNPROCESSED_CONTAINER: `retired-up-${runId}`,
      PROCESSED_CONTAINER: PROCESSED,
      ...settings,
    },
  };
}

interface Status {
  runtimeStatus: string;
  customStatus: { stage?: string } | null;
  output: { status?: string; variants?: number; placeholder?: boolean } | null;
}

async function statusOf(baseUrl: string, instanceId: string): Promise<Status> {
  const response = await fetch(`${baseUrl}/runtime/webhooks/durabletask/instances/${instanceId}`);
  return (await response.json()) as Status;
}

async function waitForStatus(
  baseUrl: string,
  instanceId: string,
  done: (status: Status) => boolean,
  timeoutMs = 45_000,
): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await statusOf(baseUrl, instanceId).catch(() => undefined);
    if (status && done(status)) return status;
    if (Date.now() > deadline) throw new Error(`instance ${instanceId}: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Uploads `blobName` and starts its run planning thumb and xl on a stack (child process) that refuses xl's
 * uploads, so the run is left waiting on its re-drive timer (`delaySeconds` per round); then stops that stack.
 */
async function waitingOnXl(
  blobName: string,
  seed: number,
  delaySeconds: number,
): Promise<{ blobs: BlobServiceClient; instanceId: string }> {
  const blobs = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
  const sources = blobs.getContainerClient(SOURCES);
  await sources.createIfNotExists();
  const eTag = await uploadBlob(
    sources,
    blobName,
    await makePhoto({ width: 1600, height: 1200, format: 'jpeg', seed }),
  );
  const instanceId = instanceIdFor(SOURCES, blobName, eTag);

  proxy.fail((method, blobPath) => method === 'PUT' && /[_/]xl\.[a-z]+$/.test(blobPath), Infinity);
  const before = await startStackProcess(
    stackModule,
    stackOptions({ IMAGE_SIZES: JSON.stringify([thumb, xl]) }),
  );
  running.push(before);
  const input: ResizeOrchestrationInput = {
    source: {
      container: SOURCES,
      blobName,
      eTag,
      sequencer: '00000000000000000000000000000001',
      contentLength: 0,
      contentType: 'image/jpeg',
    },
    sizes: [thumb, xl],
    retry: {
      transient: {
        firstRetryIntervalInMilliseconds: 100,
        maxNumberOfAttempts: 2,
        backoffCoefficient: 1,
        maxRetryIntervalInMilliseconds: 100,
      },
      redriveDelaysSeconds: [delaySeconds, delaySeconds],
    },
    checksRegistration: true,
    placeholder: true,
  };
  const started = await fetch(
    `${before.baseUrl}/runtime/webhooks/durabletask/orchestrators/${ORCHESTRATOR_FUNCTION}/${instanceId}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) },
  );
  expect(started.status).toBe(202);
  await waitForStatus(
    before.baseUrl,
    instanceId,
    (status) => status.customStatus?.stage === 'waiting-to-redrive',
  );
  await before.stop();
  running.splice(0);
  return { blobs, instanceId };
}

beforeAll(async () => {
  proxy = await startFaultProxy(blobEndpointOf(inject('azuriteConnectionString')));
});
afterEach(async () => {
  for (const stack of running.splice(0)) await stack.stop();
});
afterAll(async () => {
  await proxy?.close();
});

describe('a size removed while an instance that planned it is running', () => {
  it('finishes after a restart with the label in RETIRED_SIZES', async () => {
    // Before: xl is planned. Its uploads are refused, so the instance is left waiting on its re-drive timer.
    const { blobs, instanceId } = await waitingOnXl('users/9/bridge.jpg', 12, 6);

    // After: xl is no longer planned, only retired; its uploads would now succeed.
    proxy.clear();
    const after = await startStackProcess(
      stackModule,
      stackOptions({ IMAGE_SIZES: JSON.stringify([thumb]), RETIRED_SIZES: 'xl' }),
    );
    running.push(after);
    const finished = await waitForStatus(
      after.baseUrl,
      instanceId,
      (status) => !['Pending', 'Running'].includes(status.runtimeStatus),
    );
    expect(finished).toMatchObject({
      runtimeStatus: 'Completed',
      output: { status: 'completed', variants: 2, placeholder: true },
    });
    const derivatives = [];
    for await (const blob of blobs.getContainerClient(PROCESSED).listBlobsFlat()) derivatives.push(blob.name);
    const xlName = derivatives.find((name) => /[_/]xl\.jpg$/.test(name));
    expect(xlName).toBeDefined();
    const bytes = await blobs
      .getContainerClient(PROCESSED)
      .getBlobClient(xlName ?? '')
      .downloadToBuffer();
    expect(await sharp(bytes).metadata()).toMatchObject({ width: 1000, height: 750 });
  });

  it('without RETIRED_SIZES: a partial document naming the fix and a warning, never a Failed instance', async () => {
    const { instanceId } = await waitingOnXl('users/9/unretired.jpg', 13, 3);

    // After: xl left IMAGE_SIZES and the operator forgot RETIRED_SIZES. The re-drive rounds must not schedule
    // resize-xl (the host would fail the instance): the run ends with its document.
    proxy.clear();
    const after = await startStackProcess(
      stackModule,
      stackOptions({ IMAGE_SIZES: JSON.stringify([thumb]) }),
    );
    running.push(after);
    const finished = await waitForStatus(
      after.baseUrl,
      instanceId,
      (status) => !['Pending', 'Running'].includes(status.runtimeStatus),
    );
    expect(finished).toMatchObject({
      runtimeStatus: 'Completed',
      output: { status: 'partial', variants: 1 },
    });
    const errors = (finished.output as { errors?: Array<{ label: string; code: string; message: string }> })
      .errors;
    expect(errors).toEqual([
      {
        label: 'xl',
        code: 'internal',
        message: expect.stringMatching(/^resize-xl is not registered in this deployment.*RETIRED_SIZES/),
      },
    ]);
    expect(after.output()).toMatch(
      new RegExp(
        `planned size has no activity in this deployment.*"function":"resize-xl".*"instanceId":"${instanceId}"`,
      ),
    );
  });
});
