import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CosmosClient, Container } from '@azure/cosmos';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobCreatedEvent, type RunningStack } from '@image-derivatives/devhost';
import { documentIdFor, instanceIdFor, versionTagFor } from '../../src/domain/ids';
import type { ImageDocument } from '../../src/domain/types';
import {
  repoRoot,
  stackClients,
  startInMemoryStack,
  UNPROCESSED,
  uploadBlob,
  waitFor,
} from '../support/e2eStack';
import { makeNonImage, makePhoto } from '../support/images';

/**
 * The whole pipeline as `npm start` runs it: the compiled app (dist, built by `npm test`), loaded by the local
 * host, Durable engine, Event Grid publisher, Azurite and the Cosmos SQL API server, on free ports.
 */
const runId = Date.now().toString(36);

let stack: RunningStack;
let unprocessed: ContainerClient;
let processed: ContainerClient;
let cosmos: CosmosClient;
let documents: Container;
/** Every function log line (one JSON object each), to count what the app said. */
const functionLogs: string[] = [];

function logLinesOf(msg: string, blobName: string): Array<Record<string, unknown>> {
  return functionLogs
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    })
    .filter((line) => line.msg === msg && line.blobName === blobName);
}

interface InstanceStatus {
  instanceId: string;
  runtimeStatus: string;
  historyEvents?: Array<{ EventType: string; FunctionName?: string }>;
}

async function readDocument(blobName: string): Promise<ImageDocument | undefined> {
  const id = documentIdFor(UNPROCESSED, blobName);
  const { resource } = await documents.item(id, id).read<ImageDocument>();
  return resource;
}

/** The document once it is final for this source version (its eTag) and, if given, this run. */
function finalDocument(blobName: string, eTag: string, instanceId?: string): Promise<ImageDocument> {
  return waitFor(`the document of ${blobName}`, async () => {
    const document = await readDocument(blobName);
    if (!document || document.sourceETag.replace(/"/g, '') !== eTag.replace(/"/g, '')) return undefined;
    if (instanceId && document.instanceId !== instanceId) return undefined;
    return document.status === 'completed' || document.status === 'failed' || document.status === 'partial'
      ? document
      : undefined;
  });
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

function upload(blobName: string, data: Buffer, contentType: string): Promise<string> {
  return uploadBlob(unprocessed, blobName, data, contentType);
}

beforeAll(async () => {
  stack = await startInMemoryStack({
    onLog: (entry) => {
      if (entry.category === 'user') functionLogs.push(entry.message);
    },
  });
  ({ unprocessed, processed, cosmos, documents } = stackClients(stack));
});

afterAll(async () => {
  cosmos?.dispose();
  await stack?.stop();
});

describe('end to end on the local stack', () => {
  const photoName = `e2e-${runId}/users/42/holiday photo.jpg`;
  let photoETag = '';

  it('turns an uploaded JPEG into three derivatives with the right dimensions and a completed document', async () => {
    photoETag = await upload(
      photoName,
      await makePhoto({ width: 1600, height: 1200, format: 'jpeg' }),
      'image/jpeg',
    );
    const document = await finalDocument(photoName, photoETag);

    expect(document.status).toBe('completed');
    expect(document).toMatchObject({
      sourceFormat: 'JPEG',
      sourceWidth: 1600,
      sourceHeight: 1200,
      errors: [],
    });
    expect(document.instanceId).toBe(instanceIdFor(UNPROCESSED, photoName, photoETag));
    const expected = { thumb: [150, 113], medium: [640, 480], large: [1280, 960] } as Record<
      string,
      [number, number]
    >;
    expect(document.variants.map((variant) => variant.label).sort()).toEqual(['large', 'medium', 'thumb']);
    for (const variant of document.variants) {
      expect([variant.width, variant.height]).toEqual(expected[variant.label]);
      const v = versionTagFor(UNPROCESSED, photoName, photoETag);
      expect(variant.blobName).toBe(`${photoName}/${v}/${variant.label}.jpg`);
      const bytes = await processed.getBlobClient(variant.blobName).downloadToBuffer();
      const metadata = await sharp(bytes).metadata();
      expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({
        format: 'jpeg',
        width: expected[variant.label]?.[0],
        height: expected[variant.label]?.[1],
      });
    }
  });

  it('reports Completed through GET /api/images/{blob} and the app’s own instance endpoint', async () => {
    const encoded = photoName.split('/').map(encodeURIComponent).join('/');
    const { status, body } = await getJson<{
      runtimeStatus: string;
      document: ImageDocument;
      statusUrl: string;
      historyUrl: string;
    }>(`${stack.baseUrl}/api/images/${encoded}`);
    expect(status).toBe(200);
    expect(body.runtimeStatus).toBe('Completed');
    expect(body.document.status).toBe('completed');
    // No Durable management URL reaches a browser: in Azure they carry the extension's system key.
    expect(JSON.stringify(body)).not.toMatch(/code=|runtime\/webhooks/);
    expect(body.statusUrl.startsWith(`${stack.baseUrl}/api/console/instances/`)).toBe(true);
    const history = await getJson<{ history: { EventType: string }[] }>(body.historyUrl);
    expect(history.status).toBe(200);
    expect(history.body.history.length).toBeGreaterThan(0);
    const durable = await getJson<InstanceStatus>(body.statusUrl);
    expect(durable.status).toBe(200);
    expect(durable.body).toMatchObject({
      instanceId: instanceIdFor(UNPROCESSED, photoName, photoETag),
      runtimeStatus: 'Completed',
    });
  });

  it('runs one orchestration and writes one document when the same event is delivered five times', async () => {
    const name = `e2e-${runId}/dupes/cat.jpg`;
    const eTag = await upload(
      name,
      await makePhoto({ width: 400, height: 300, format: 'jpeg', seed: 7 }),
      'image/jpeg',
    );
    const properties = await unprocessed.getBlobClient(name).getProperties();
    const event = blobCreatedEvent({
      accountName: 'devstoreaccount1',
      container: UNPROCESSED,
      name,
      url: unprocessed.getBlobClient(name).url,
      api: 'PutBlob',
      eTag,
      contentType: 'image/jpeg',
      contentLength: properties.contentLength,
      blobType: 'BlockBlob',
      lastModified: properties.lastModified ?? new Date(),
      sequence: 1,
    });
    const webhook = `${stack.baseUrl}/runtime/webhooks/eventgrid?functionName=onImageUploaded`;
    const deliver = (): Promise<number> =>
      fetch(webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
        body: JSON.stringify([event]),
      }).then((response) => response.status);
    // Five concurrent copies (on top of the publisher's own): a copy that loses the start race may answer 500,
    // which tells Event Grid to redeliver; each is redelivered until accepted, as Event Grid would.
    const firstAnswers = await Promise.all(Array.from({ length: 5 }, deliver));
    expect(firstAnswers.every((status) => status === 202 || status === 500)).toBe(true);
    const document = await finalDocument(name, eTag);
    expect(document.status).toBe('completed');
    const redelivered = await Promise.all(firstAnswers.filter((status) => status !== 202).map(deliver));
    expect(redelivered.every((status) => status === 202)).toBe(true);
    expect(await deliver()).toBe(202);

    const instanceId = instanceIdFor(UNPROCESSED, name, eTag);
    const list = await getJson<InstanceStatus[]>(
      `${stack.baseUrl}/runtime/webhooks/durabletask/instances?instanceIdPrefix=${encodeURIComponent(instanceId)}`,
    );
    expect(list.body.map((instance) => instance.instanceId)).toEqual([instanceId]);
    const history = await getJson<InstanceStatus>(
      `${stack.baseUrl}/runtime/webhooks/durabletask/instances/${instanceId}?showHistory=true`,
    );
    const events = history.body.historyEvents ?? [];
    expect(events.filter((entry) => entry.EventType === 'ExecutionStarted')).toHaveLength(1);
    // One real start, one "orchestration started"; every other delivery logged itself as a duplicate.
    expect(logLinesOf('orchestration started', name)).toHaveLength(1);
    expect(
      logLinesOf('duplicate event: this version is already being or has been processed', name).length +
        logLinesOf('duplicate event: a concurrent delivery started this version', name).length,
    ).toBeGreaterThanOrEqual(redelivered.length + 1);
    expect(
      events.filter(
        (entry) => entry.EventType === 'TaskCompleted' && entry.FunctionName === 'writeImageDocument',
      ),
    ).toHaveLength(1);
    const { resources } = await documents.items
      .query<{ id: string }>({
        query: 'SELECT c.id FROM c WHERE c.sourceBlobName = @name',
        parameters: [{ name: '@name', value: name }],
      })
      .fetchAll();
    expect(resources).toEqual([{ id: documentIdFor(UNPROCESSED, name) }]);
  });

  it('reprocesses on POST /api/reprocess/{blob}: 202 with status URLs and a new completed run', async () => {
    const encoded = photoName.split('/').map(encodeURIComponent).join('/');
    const response = await fetch(`${stack.baseUrl}/api/reprocess/${encoded}`, { method: 'POST' });
    expect(response.status).toBe(202);
    const body = (await response.json()) as { id: string; statusUrl: string };
    expect(body.id).not.toBe(instanceIdFor(UNPROCESSED, photoName, photoETag));
    expect(response.headers.get('location')).toBe(body.statusUrl);
    expect(JSON.stringify(body)).not.toMatch(/code=|runtime\/webhooks/);
    const completed = await waitFor('the reprocess run', async () => {
      const { status, body: instance } = await getJson<InstanceStatus>(body.statusUrl);
      // The app's endpoint answers 200 while running too: the run has ended when its status says so.
      return status === 200 && !['Pending', 'Running', 'ContinuedAsNew'].includes(instance.runtimeStatus)
        ? instance
        : undefined;
    });
    expect(completed.runtimeStatus).toBe('Completed');
    const document = await finalDocument(photoName, photoETag, body.id);
    expect(document.status).toBe('completed');
    expect(document.variants).toHaveLength(3);
  });

  it('turns an iPhone-style HEIC (a tiled grid) into JPEG derivatives and a completed document', async () => {
    const name = `e2e-${runId}/phone/IMG_0001.HEIC`;
    const heic = readFileSync(path.join(repoRoot, 'test/fixtures/heic/grid.heic'));
    const eTag = await upload(name, heic, 'image/heic');
    const document = await finalDocument(name, eTag);
    expect(document).toMatchObject({
      status: 'completed',
      sourceFormat: 'HEIC',
      sourceWidth: 120,
      sourceHeight: 100,
      errors: [],
    });
    expect(document.variants.map((variant) => variant.label).sort()).toEqual(['large', 'medium', 'thumb']);
    for (const variant of document.variants) {
      // 120x100 fits every box: never enlarged.
      expect([variant.width, variant.height, variant.format]).toEqual([120, 100, 'jpeg']);
      expect(variant.blobName).toBe(`${name}/${versionTagFor(UNPROCESSED, name, eTag)}/${variant.label}.jpg`);
      const metadata = await sharp(
        await processed.getBlobClient(variant.blobName).downloadToBuffer(),
      ).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual(['jpeg', 120, 100]);
    }
    // Decoded once: the run's intermediate lived in the scratch container (which the first prepareSource
    // created, so listing it would fail if the run had not decoded once) and is deleted when the run ends.
    const scratch = BlobServiceClient.fromConnectionString(stack.connectionString).getContainerClient(
      'images-scratch',
    );
    await waitFor('the intermediate to be deleted', async () => {
      const left: string[] = [];
      for await (const blob of scratch.listBlobsFlat()) left.push(blob.name);
      return left.length === 0 ? true : undefined;
    });
  });

  it('decodes a HEIC declared image/jpeg once: prepareSource finds it by the bytes and writes one intermediate', async () => {
    const name = `e2e-${runId}/mislabelled/IMG_0003.jpg`;
    const heic = readFileSync(path.join(repoRoot, 'test/fixtures/heic/plain.heic'));
    const eTag = await upload(name, heic, 'image/jpeg');
    const document = await finalDocument(name, eTag);
    expect(document).toMatchObject({ status: 'completed', sourceFormat: 'HEIC', errors: [] });
    expect(document.variants.map((variant) => variant.label).sort()).toEqual(['large', 'medium', 'thumb']);
    const instanceId = instanceIdFor(UNPROCESSED, name, eTag);
    // The document is written before the intermediate's delete: read the history once the run has ended.
    const history = await waitFor('the run to end', async () => {
      const answer = await getJson<InstanceStatus>(
        `${stack.baseUrl}/runtime/webhooks/durabletask/instances/${instanceId}?showHistory=true`,
      );
      return ['Pending', 'Running', 'ContinuedAsNew'].includes(answer.body.runtimeStatus)
        ? undefined
        : answer;
    });
    expect(history.body.runtimeStatus).toBe('Completed');
    const completed = (history.body.historyEvents ?? []).filter(
      (entry) => entry.EventType === 'TaskCompleted',
    );
    // One decode before the fan-out, whose intermediate every size read, and deleted when the run ended.
    expect(completed.filter((entry) => entry.FunctionName === 'prepareSource')).toHaveLength(1);
    expect(logLinesOf('intermediate written', name)).toHaveLength(1);
    expect(logLinesOf('resizing', name)).toEqual([expect.objectContaining({ decodedOnce: true })]);
    expect(completed.filter((entry) => entry.FunctionName === 'deleteIntermediate')).toHaveLength(1);
  });

  it('npm run reprocess and npm run status drive the same run from the command line', async () => {
    const cli = async (script: string, args: string[]): Promise<{ code: number; stdout: string }> => {
      const file = path.join(repoRoot, 'packages/devhost/dist/cli', script);
      if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build (npm test does)`);
      // Asynchronous: the host the CLI talks to runs in this process.
      const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, DEVHOST_URL: '' } });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', resolve);
      });
      return { code: code ?? -1, stdout: output };
    };
    const port = new URL(stack.baseUrl).port;
    const reprocess = await cli('reprocess.js', [photoName, '--sizes', 'thumb', '--port', port]);
    expect(reprocess.code, reprocess.stdout).toBe(0);
    const id = /orchestration (\S+) started/.exec(reprocess.stdout)?.[1] ?? '';
    expect(reprocess.stdout).toContain(`Follow it with: npm run status -- '${photoName}' --port ${port}`);
    const run = await waitFor('the reprocess run', async () => {
      const { status, body } = await getJson<InstanceStatus>(
        `${stack.baseUrl}/runtime/webhooks/durabletask/instances/${id}`,
      );
      return status === 200 ? body : undefined;
    });
    expect(run.runtimeStatus).toBe('Completed');
    const document = await finalDocument(photoName, photoETag, id);
    expect(document.variants).toHaveLength(3);

    const statusUrl = `${stack.baseUrl}/api/images/${photoName.split('/').map(encodeURIComponent).join('/')}`;
    const status = await cli('status.js', [statusUrl]);
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^Orchestration +${id} {2}Completed$`, 'm'));
    expect(status.stdout).toMatch(/^Document +completed {2}JPEG 1600x1200 /m);

    // The local Cosmos server keeps documents in memory: after a restart the run is there, the document not.
    await documents.item(document.id, document.id).delete();
    const missing = await cli('status.js', [statusUrl]);
    expect(missing.stdout).toMatch(
      new RegExp(
        `^Document +no document: the run ended Completed .*; write it again with npm run reprocess -- '${photoName}' --port ${port}$`,
        'm',
      ),
    );
  });

  it('records a non-image upload as a failed document with not-an-image and writes no derivative', async () => {
    const name = `e2e-${runId}/docs/not-a-photo.jpg`;
    const eTag = await upload(name, makeNonImage(), 'image/jpeg');
    const document = await finalDocument(name, eTag);
    expect(document.status).toBe('failed');
    expect(document.variants).toEqual([]);
    expect(document.errors.map((error) => error.code)).toContain('not-an-image');
    const derivatives: string[] = [];
    for await (const blob of processed.listBlobsFlat({ prefix: `e2e-${runId}/docs/` }))
      derivatives.push(blob.name);
    expect(derivatives).toEqual([]);
  });
});
