import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CosmosClient, type Container } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@image-derivatives/devhost';
import type { ImageDocument } from '../../src/domain/types';
import { makePhoto } from '../support/images';

/**
 * `npm start` killed mid-burst (SIGKILL, no shutdown at all) and started again with the same command: every
 * upload the client saw succeed ends as exactly one completed document. That takes all three: the event
 * recorded before the upload was acknowledged, documents that outlive the process, and the Durable engine's
 * recovery of in-flight work. Runs the compiled local host (`packages/devhost/dist/start.js`) on the app.
 */
const repoRoot = path.resolve(__dirname, '../..');
const startScript = path.join(repoRoot, 'packages/devhost/dist/start.js');
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const COSMOS_KEY = 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';
const UPLOADS = 30;

const children: ChildProcess[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<unknown>;
}

function start(args: string[]): Run {
  if (!existsSync(startScript) || !existsSync(path.join(repoRoot, 'dist/src/index.js')))
    throw new Error('the compiled app and local host are missing: run npm run build (npm test does)');
  const child = spawn(process.execPath, [startScript, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, exited: new Promise((resolve) => child.once('exit', resolve)) };
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

async function ready(run: Run): Promise<void> {
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
    const [host, blob, queue, table, cosmos] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const location = await mkdtemp(path.join(os.tmpdir(), 'restart-e2e-'));
    folders.push(location);
    const args = [
      '--port',
      String(host),
      '--azurite-ports',
      `${blob},${queue},${table}`,
      '--cosmos-port',
      String(cosmos),
      '--azurite-location',
      location,
    ];
    const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${blob}/devstoreaccount1`;
    const unprocessed =
      BlobServiceClient.fromConnectionString(connectionString).getContainerClient('images-unprocessed');
    const prefix = `burst-${Date.now().toString(36)}/`;
    const names = Array.from({ length: UPLOADS }, (_, index) => `${prefix}photo-${index}.jpg`);
    const photos = await Promise.all(
      names.map((_, index) => makePhoto({ width: 320, height: 240, format: 'jpeg', seed: index + 1 })),
    );

    const first = start(args);
    await ready(first);
    const client = new CosmosClient({
      endpoint: `https://127.0.0.1:${cosmos}`,
      key: COSMOS_KEY,
      agent: new https.Agent({ rejectUnauthorized: false }),
    });
    const documents = client.database('MediaCorp').container('Images');
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

    const second = start(args);
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
