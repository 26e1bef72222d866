import path from 'node:path';
import type { Container } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImageDocument } from '../../src/domain/types';
import { makePhoto } from '../support/images';
import {
  cleanUpStarts,
  persistentArgs,
  start,
  type StartRun,
} from '../../packages/devhost/test/support/startProcess';
import { imageDocuments, localCosmosClient, repoRoot, requireCompiledApp } from '../support/e2eStack';
import { startStackProcess } from '../support/stackProcess';

/**
 * `npm start` killed mid-burst (SIGKILL, no shutdown at all) and started again with the same command: every
 * upload the client saw succeed ends as exactly one completed document. That takes all three: the event
 * recorded before the upload was acknowledged, documents that outlive the process, and the Durable engine's
 * recovery of in-flight work. Runs the compiled local host (`packages/devhost/dist/start.js`) on the app.
 */
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const COSMOS_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';
const UPLOADS = 30;

afterEach(cleanUpStarts);

/** `npm start` with `args`, once the app is compiled too. */
function startApp(args: string[]): StartRun {
  requireCompiledApp();
  return start(args);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function ready(run: StartRun): Promise<void> {
  await until(
    'the ready line',
    () => {
      if (run.child.exitCode !== null) throw new Error(`start exited: ${run.output()}`);
      return Promise.resolve(/^devhost ready in /m.test(run.output()) ? true : undefined);
    },
    90_000,
  );
}

async function documentsOf(container: Container, prefix: string): Promise<ImageDocument[]> {
  const { resources } = await container.items
    .query<ImageDocument>({
      query: 'SELECT * FROM c WHERE STARTSWITH(c.sourceBlobName, @prefix)',
      parameters: [{ name: '@prefix', value: prefix }],
    })
    .fetchAll();
  return resources;
}

describe('npm start killed mid-burst and started again', () => {
  it('ends with every uploaded image as exactly one completed document', async () => {
    const {
      args,
      ports: [, blob, , , cosmos],
    } = await persistentArgs('restart-e2e-');
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${blob}/devstoreaccount1`;
    const unprocessed =
      BlobServiceClient.fromConnectionString(connectionString).getContainerClient('images-unprocessed');
    const prefix = `burst-${Date.now().toString(36)}/`;
    const names = Array.from({ length: UPLOADS }, (_, index) => `${prefix}photo-${index}.jpg`);
    const photos = await Promise.all(
      names.map((_, index) => makePhoto({ width: 320, height: 240, format: 'jpeg', seed: index + 1 })),
    );

    const first = startApp(args);
    await ready(first);
    const client = localCosmosClient(`https://127.0.0.1:${cosmos}`, COSMOS_KEY);
    const documents = imageDocuments(client);
    await Promise.all(
      names.map((name, index) =>
        unprocessed
          .getBlockBlobClient(name)
          .uploadData(photos[index]!, { blobHTTPHeaders: { blobContentType: 'image/jpeg' } }),
      ),
    );
    // Mid-burst: some documents written, not all.
    const atKill = await until(
      'the first documents',
      async () => {
        const count = (await documentsOf(documents, prefix)).length;
        return count > 0 ? count : undefined;
      },
      60_000,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    expect(atKill).toBeLessThan(UPLOADS);

    const second = startApp(args);
    await ready(second);
    const finalDocuments = await until(
      `${UPLOADS} completed documents`,
      async () => {
        const found = await documentsOf(documents, prefix);
        return found.length === UPLOADS && found.every((document) => document.status === 'completed')
          ? found
          : undefined;
      },
      180_000,
    );
    expect(finalDocuments.map((document) => document.sourceBlobName).sort()).toEqual([...names].sort());
    client.dispose();
    second.child.kill('SIGINT');
    await second.exited;
  });
});

describe('blobs committed with no event while the local Event Grid was not recording', () => {
  const stackModule = path.join(repoRoot, 'packages/devhost/dist/index.js');

  it('are published once at the next start: a write gets processed exactly once, a delete removes its document', async () => {
    const {
      ports: [host, blob, queue, table, cosmos],
      location,
    } = await persistentArgs('reconcile-e2e-');
    const options = {
      appRoot: repoRoot,
      port: host,
      azurite: { ports: { blob, queue, table }, location },
      cosmos: { port: cosmos },
    };
    const proxied = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${blob}/devstoreaccount1`;
    const client = localCosmosClient(`https://127.0.0.1:${cosmos}`, COSMOS_KEY);
    const prefix = `reconcile-${Date.now().toString(36)}/`;
    const [deletedPhoto, missedPhoto] = await Promise.all([
      makePhoto({ width: 320, height: 240, format: 'jpeg', seed: 1 }),
      makePhoto({ width: 320, height: 240, format: 'jpeg', seed: 2 }),
    ]);

    const first = await startStackProcess(stackModule, options, 90_000);
    const documents = imageDocuments(client);
    const through = BlobServiceClient.fromConnectionString(proxied).getContainerClient('images-unprocessed');
    await through.getBlockBlobClient(`${prefix}deleted.jpg`).uploadData(deletedPhoto);
    await until(
      'the document of the upload',
      async () => ((await documentsOf(documents, `${prefix}deleted.jpg`)).length === 1 ? true : undefined),
      60_000,
    );
    // Behind the proxy's back, as a SIGKILL between Azurite's commit and the event's record leaves them.
    const behind = BlobServiceClient.fromConnectionString(first.directConnectionString).getContainerClient(
      'images-unprocessed',
    );
    const missed = await behind.getBlockBlobClient(`${prefix}missed.jpg`).uploadData(missedPhoto, {
      blobHTTPHeaders: { blobContentType: 'image/jpeg' },
    });
    await behind.deleteBlob(`${prefix}deleted.jpg`);
    await first.stop();
    expect(first.output()).not.toMatch(/eventgrid: reconciled/);

    const second = await startStackProcess(stackModule, options, 90_000);
    const [document] = await until(
      'the document of the blob written behind the proxy, and none for the deleted one',
      async () => {
        const found = await documentsOf(documents, prefix);
        return found.length === 1 &&
          found[0]?.sourceBlobName === `${prefix}missed.jpg` &&
          found[0].status === 'completed'
          ? found
          : undefined;
      },
      60_000,
    );
    expect(document).toMatchObject({
      sourceBlobName: `${prefix}missed.jpg`,
      sourceETag: (missed.etag ?? '').replace(/"/g, ''),
      sourceSequencer: '00000000000000000000000000000001',
    });
    expect(second.output()).toMatch(/eventgrid: reconciled 2 committed write\(s\) that had no event/);
    const starts = (output: string) =>
      output
        .split('\n')
        .filter((line) => line.includes('"msg":"orchestration started"') && line.includes(prefix));
    expect(starts(second.output())).toHaveLength(1);
    await second.stop();

    // The reconcile runs before the ready line, so a third start has said all it will say by then.
    const third = await startStackProcess(stackModule, options, 90_000);
    expect(third.output()).not.toMatch(/eventgrid: reconciled/);
    expect(starts(third.output())).toEqual([]);
    expect(await documentsOf(documents, prefix)).toEqual([
      expect.objectContaining({ id: document?.id, updatedAt: document?.updatedAt }),
    ]);
    await third.stop();
    client.dispose();
  });
});
