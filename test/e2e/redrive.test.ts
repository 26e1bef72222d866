import type { CosmosClient } from '@azure/cosmos';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStack, type RunningStack } from '@image-derivatives/devhost';
import { ORCHESTRATOR_FUNCTION, PLACEHOLDER_FUNCTION } from '../../src/domain/functionNames';
import { documentIdFor, instanceIdFor } from '../../src/domain/ids';
import type { ImageDocument, ResizeOrchestrationInput } from '../../src/domain/types';
import { blobEndpointOf, startFaultProxy, withBlobEndpoint, type FaultProxy } from '../support/faultProxy';
import {
  imageDocuments,
  localCosmosClient,
  repoRoot,
  requireCompiledApp,
  uploadBlob,
} from '../support/e2eStack';
import { makePhoto } from '../support/images';

/**
 * Re-drive end to end on the local stack: the compiled app, the local Durable engine (real durable timers),
 * Azurite behind a proxy that refuses one size's derivative uploads with 403 for a while, Cosmos.
 */
const runId = Date.now().toString(36);
const SOURCES = `redrive-src-${runId}`;
const PROCESSED = `redrive-out-${runId}`;
/** Short on purpose: the delays are data captured in the input, so a test may use seconds. */
const SHORT_TRANSIENT = {
  firstRetryIntervalInMilliseconds: 200,
  maxNumberOfAttempts: 2,
  backoffCoefficient: 1,
  maxRetryIntervalInMilliseconds: 200,
};

let proxy: FaultProxy;
let stack: RunningStack;
let sources: ContainerClient;
let processed: ContainerClient;
let cosmos: CosmosClient;

interface HistoryEntry {
  EventType: string;
  FunctionName?: string;
}

/** PUTs of `label`'s derivative into the processed container (either naming scheme: `_label.ext` or `/label.ext`). */
function derivativeUpload(label: string) {
  const pattern = new RegExp(`^/[^/]+/${PROCESSED}/.*[_/]${label}\\.[a-z]+$`);
  return (method: string, blobPath: string) => method === 'PUT' && pattern.test(blobPath);
}

beforeAll(async () => {
  requireCompiledApp();
  const azurite = inject('azuriteConnectionString');
  proxy = await startFaultProxy(blobEndpointOf(azurite));
  stack = await startStack({
    appRoot: repoRoot,
    port: 0,
    azurite: { connectionString: azurite },
    cosmos: { endpoint: inject('cosmosEndpoint'), key: inject('cosmosKey') },
    taskHub: `Redrive${runId}`,
    settings: {
      IMAGES_STORAGE: withBlobEndpoint(azurite, proxy.blobEndpoint),
      UNPROCESSED_CONTAINER: `redrive-up-${runId}`,
      PROCESSED_CONTAINER: PROCESSED,
    },
    quiet: true,
    logger: (entry) => {
      if (entry.level === 'critical') console.error(entry.message);
    },
  });
  const blobs = BlobServiceClient.fromConnectionString(azurite);
  sources = blobs.getContainerClient(SOURCES);
  await sources.createIfNotExists();
  processed = blobs.getContainerClient(PROCESSED);
  cosmos = localCosmosClient(stack.cosmosEndpoint, stack.cosmosKey);
});

afterAll(async () => {
  cosmos?.dispose();
  await stack?.stop();
  await proxy?.close();
});

describe('re-drive on the local engine', () => {
  it('a size that ran out of transient retries is re-run after the delay and the document becomes completed', async () => {
    const blobName = 'users/7/lake.jpg';
    const eTag = await uploadBlob(
      sources,
      blobName,
      await makePhoto({ width: 1600, height: 1200, format: 'jpeg', seed: 11 }),
    );
    // Both attempts of the first round fail (at large's first format, which throws before the second); the
    // re-drive round's first attempt gets through and uploads both of large's formats.
    proxy.fail(derivativeUpload('large'), SHORT_TRANSIENT.maxNumberOfAttempts);

    const instanceId = instanceIdFor(SOURCES, blobName, eTag);
    const input: ResizeOrchestrationInput = {
      source: {
        container: SOURCES,
        blobName,
        eTag,
        sequencer: '00000000000000000000000000000001',
        contentLength: 0,
        contentType: 'image/jpeg',
      },
      sizes: [
        { label: 'thumb', width: 150, height: 150, fit: 'cover', position: 'attention', formats: ['source'] },
        { label: 'large', width: 1280, height: 1280, fit: 'inside', formats: ['source', 'webp'] },
      ],
      retry: { transient: SHORT_TRANSIENT, redriveDelaysSeconds: [1, 1] },
      placeholder: true,
    };
    await stack.engine.startNew(ORCHESTRATOR_FUNCTION, { instanceId, input });

    // In between, the document says what the first round achieved.
    const documents = imageDocuments(cosmos);
    const documentId = documentIdFor(SOURCES, blobName);
    let partial: ImageDocument | undefined;
    for (let tries = 0; tries < 200 && partial === undefined; tries++) {
      const { resource } = await documents.item(documentId, documentId).read<ImageDocument>();
      if (resource?.status === 'partial') partial = resource;
      else if (resource?.status === 'completed') break;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(partial).toMatchObject({
      status: 'partial',
      errors: [{ label: 'large', code: 'internal' }],
      variants: [{ label: 'thumb', format: 'jpeg', width: 150, height: 150 }],
      placeholder: { thumbhash: expect.any(String), dominantColor: expect.stringMatching(/^#[0-9a-f]{6}$/) },
    });

    const finished = await stack.engine.waitForCompletion(instanceId, { timeoutMs: 45_000 });
    expect(finished.runtimeStatus).toBe('Completed');
    expect(JSON.parse(finished.output ?? 'null')).toMatchObject({
      status: 'completed',
      variants: 3,
      placeholder: true,
      errors: [],
    });
    expect(proxy.failures).toBe(2);

    const { resource: document } = await documents.item(documentId, documentId).read<ImageDocument>();
    // The re-drive's write kept the placeholder of the first and merged large's (label, format) variants.
    expect(document).toMatchObject({
      status: 'completed',
      errors: [],
      instanceId,
      placeholder: partial?.placeholder,
    });
    expect(document?.variants.map((variant) => `${variant.label}.${variant.format}`).sort()).toEqual([
      'large.jpeg',
      'large.webp',
      'thumb.jpeg',
    ]);
    for (const format of ['jpeg', 'webp'] as const) {
      const large = document?.variants.find(
        (variant) => variant.label === 'large' && variant.format === format,
      );
      expect(large).toMatchObject({ width: 1280, height: 960 });
      const bytes = await processed.getBlobClient(large?.blobName ?? '').downloadToBuffer();
      expect(await sharp(bytes).metadata()).toMatchObject({ format, width: 1280, height: 960 });
    }

    // Only the failed size ran again: thumb once; large twice in round one and once after the timer.
    const status = await fetch(
      `${stack.baseUrl}/runtime/webhooks/durabletask/instances/${instanceId}?showHistory=true`,
    );
    const { historyEvents } = (await status.json()) as { historyEvents: HistoryEntry[] };
    const calls = (name: string, type: string) =>
      historyEvents.filter((event) => event.FunctionName === name && event.EventType === type).length;
    expect(calls('resize-thumb', 'TaskCompleted')).toBe(1);
    expect(calls('resize-large', 'TaskFailed')).toBe(2);
    expect(calls('resize-large', 'TaskCompleted')).toBe(1);
    expect(calls('writeImageDocument', 'TaskCompleted')).toBe(2);
    // The placeholder ran once, in the first fan-out, never in a re-drive round.
    expect(calls(PLACEHOLDER_FUNCTION, 'TaskCompleted')).toBe(1);
  });
});
