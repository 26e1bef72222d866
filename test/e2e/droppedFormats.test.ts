import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import type { CosmosClient } from '@azure/cosmos';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import type { StackOptions } from '@image-derivatives/devhost';
import { loadSettings } from '../../src/config/settings';
import { ORCHESTRATOR_FUNCTION } from '../../src/domain/functionNames';
import { documentIdFor, instanceIdFor } from '../../src/domain/ids';
import { newRunInput } from '../../src/domain/runInput';
import type { ImageDocument, SizeSpec } from '../../src/domain/types';
import { createCosmosClient, imagesContainerOf } from '../../src/storage/cosmosClient';
import { makePhoto } from '../support/images';
import { testEnv } from '../support/env';
import { repoRoot, uploadBlob, waitFor } from '../support/e2eStack';
import { startStackProcess, type StackProcess } from '../support/stackProcess';

/**
 * A format dropped from a label and a label dropped from the catalog, through the compiled app, the local Durable
 * engine, Azurite and the Cosmos server: the app restarts with the new IMAGE_SIZES (as a deployment does), a
 * second run of the SAME version (a reprocess) writes the document without them, then deletes their blobs.
 */
const stackModule = path.join(repoRoot, 'packages/devhost/dist/index.js');
const runId = Date.now().toString(36);
const SOURCES = `dropped-src-${runId}`;
const PROCESSED = `dropped-out-${runId}`;
const thumb = (formats: SizeSpec['formats']): SizeSpec => ({
  label: 'thumb',
  width: 150,
  height: 150,
  fit: 'inside',
  formats,
});
const old: SizeSpec = { label: 'old', width: 320, height: 320, fit: 'inside', formats: ['source'] };
const large: SizeSpec = { label: 'large', width: 640, height: 640, fit: 'inside', formats: ['source'] };

const running: StackProcess[] = [];
let cosmos: CosmosClient | undefined;

function stackOptions(settings: Record<string, string>): StackOptions {
  const azurite = inject('azuriteConnectionString');
  return {
    appRoot: repoRoot,
    port: 0,
    azurite: { connectionString: azurite },
    cosmos: { endpoint: inject('cosmosEndpoint'), key: inject('cosmosKey') },
    taskHub: `Dropped${runId}`,
    quiet: true,
    // Runs are started below, not by events: the sources live outside the watched container.
    settings: { UNPROCESSED_CONTAINER: `dropped-up-${runId}`, PROCESSED_CONTAINER: PROCESSED, ...settings },
  };
}

async function runToEnd(stack: StackProcess, instanceId: string, input: unknown) {
  const started = await fetch(
    `${stack.baseUrl}/runtime/webhooks/durabletask/orchestrators/${ORCHESTRATOR_FUNCTION}/${instanceId}`,
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) },
  );
  expect(started.status).toBe(202);
  return waitFor(
    `instance ${instanceId} to end`,
    async () => {
      const response = await fetch(`${stack.baseUrl}/runtime/webhooks/durabletask/instances/${instanceId}`);
      const status = (await response.json().catch(() => undefined)) as
        { runtimeStatus: string; output: Record<string, unknown> | null } | undefined;
      return status && !['Pending', 'Running'].includes(status.runtimeStatus) ? status : undefined;
    },
    60_000,
    150,
  );
}

afterEach(async () => {
  for (const stack of running.splice(0)) await stack.stop();
});
afterAll(() => cosmos?.dispose());

describe('a plan that no longer produces a format or a label', () => {
  it('a reprocess after the deployment drops them from the document, then deletes their derivatives; a retired label stays', async () => {
    const blobs = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
    const sources = blobs.getContainerClient(SOURCES);
    await sources.createIfNotExists();
    const blobName = 'users/5/harbour.png';
    const eTag = await uploadBlob(
      sources,
      blobName,
      await makePhoto({ width: 1200, height: 900, format: 'png', seed: 21 }),
      'image/png',
    );
    const source = {
      container: SOURCES,
      blobName,
      eTag,
      sequencer: '00000000000000000000000000000001',
      contentLength: 0,
      contentType: 'image/png',
    };
    const names = async () => {
      const found: string[] = [];
      for await (const blob of blobs
        .getContainerClient(PROCESSED)
        .listBlobsFlat({ prefix: `${blobName}/` })) {
        found.push(blob.name.slice(blob.name.lastIndexOf('/') + 1));
      }
      return found.sort();
    };
    const settings = loadSettings(testEnv());
    cosmos = createCosmosClient(settings.cosmos);
    const documents = imagesContainerOf(cosmos, settings.cosmos);
    const documentNames = async () => {
      const id = documentIdFor(SOURCES, blobName);
      const { resource } = await documents.item(id, id).read<ImageDocument>();
      return (resource?.variants ?? [])
        .map((variant) => variant.blobName.slice(variant.blobName.lastIndexOf('/') + 1))
        .sort();
    };

    // Before: thumb in PNG, WebP and AVIF; old and large planned.
    const before = await startStackProcess(
      stackModule,
      stackOptions({ IMAGE_SIZES: JSON.stringify([thumb(['source', 'webp', 'avif']), old, large]) }),
    );
    running.push(before);
    const firstPlan = [thumb(['source', 'webp', 'avif']), old, large];
    const first = await runToEnd(
      before,
      instanceIdFor(SOURCES, blobName, source.eTag),
      newRunInput(source, { sizes: firstPlan, replacedGraceSeconds: 1 }),
    );
    expect(first).toMatchObject({ runtimeStatus: 'Completed', output: { status: 'completed', variants: 5 } });
    const all = ['large.png', 'old.png', 'thumb.avif', 'thumb.png', 'thumb.webp'];
    expect(await names()).toEqual(all);
    expect(await documentNames()).toEqual(all);
    await before.stop();
    running.splice(0);

    // After the deployment: avif left thumb, old left both settings, large is retired.
    const afterPlan = [thumb(['source', 'webp'])];
    const after = await startStackProcess(
      stackModule,
      stackOptions({ IMAGE_SIZES: JSON.stringify(afterPlan), RETIRED_SIZES: 'large' }),
    );
    running.push(after);
    const reprocess = await runToEnd(
      after,
      `${instanceIdFor(SOURCES, blobName, source.eTag)}-reprocess`,
      newRunInput({ ...source, sequencer: '' }, { sizes: afterPlan, replacedGraceSeconds: 1 }),
    );
    expect(reprocess).toMatchObject({
      runtimeStatus: 'Completed',
      output: { status: 'completed', variants: 2, droppedDerivatives: 2 },
    });
    expect(await documentNames()).toEqual(['large.png', 'thumb.png', 'thumb.webp']);
    expect(await names()).toEqual(['large.png', 'thumb.png', 'thumb.webp']);
  });
});
