import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { freePort, withBlobPort } from '@image-derivatives/devhost';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ImageDocument } from '../../src/domain/types';
import { makePhoto } from '../support/images';
import { startStackProcess, type StackProcess } from '../support/stackProcess';

/**
 * Derivatives on their own account, as in Azure: the compiled app on the local stack with DERIVATIVES_STORAGE
 * naming a second account of the test Azurite and DERIVATIVE_BASE_URL that account's container (loopback, so a
 * plain `fetch` loads each variant's `url` anonymously, as a browser loads the Front Door URL). The source is
 * uploaded through the stack's Blob port, so the local Event Grid raises its BlobCreated as Azure would.
 */
const repoRoot = path.resolve(__dirname, '../..');
const stackModule = path.join(repoRoot, 'packages/devhost/dist/index.js');
const runId = Date.now().toString(36);
const SOURCES = `drv-src-${runId}`;
const PROCESSED = `drv-out-${runId}`;

let stack: StackProcess;
let images: BlobServiceClient;
let sourcesThroughStack: BlobServiceClient;
let derivatives: BlobServiceClient;
let baseUrl: string;

interface StatusBody {
  runtimeStatus?: string;
  document?: ImageDocument;
}

async function finalDocument(blobName: string, timeoutMs = 45_000): Promise<ImageDocument> {
  const url = `${stack.baseUrl}/api/images/${blobName.split('/').map(encodeURIComponent).join('/')}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(url).catch(() => undefined);
    const body = response?.ok ? ((await response.json()) as StatusBody) : undefined;
    if (body?.runtimeStatus === 'Completed' && body.document) return body.document;
    if (Date.now() > deadline)
      throw new Error(`no completed document for ${blobName}: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  const derivativesConnection = inject('azuriteDerivativesConnectionString');
  const blobPort = await freePort();
  // Writes through the stack's Blob port raise events; reads may go to Azurite directly.
  images = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
  sourcesThroughStack = BlobServiceClient.fromConnectionString(
    withBlobPort(inject('azuriteConnectionString'), blobPort),
  );
  derivatives = BlobServiceClient.fromConnectionString(derivativesConnection);
  // Anonymous reads by exact name, as the derivatives account's container in Azure (`publicAccess: Blob`).
  await derivatives.getContainerClient(PROCESSED).createIfNotExists({ access: 'blob' });
  baseUrl = derivatives.getContainerClient(PROCESSED).url;
  stack = await startStackProcess(stackModule, {
    appRoot: repoRoot,
    port: 0,
    azurite: { connectionString: inject('azuriteConnectionString'), blobPort },
    cosmos: { endpoint: inject('cosmosEndpoint'), key: inject('cosmosKey') },
    taskHub: `Derivatives${runId}`,
    quiet: true,
    settings: {
      UNPROCESSED_CONTAINER: SOURCES,
      PROCESSED_CONTAINER: PROCESSED,
      DERIVATIVES_STORAGE: derivativesConnection,
      DERIVATIVE_BASE_URL: baseUrl,
    },
  });
});

afterAll(async () => {
  await stack?.stop();
});

describe('derivatives on their own storage account, end to end', () => {
  it('lands every derivative on the derivatives account, none on the sources account, each loadable at its url', async () => {
    const blobName = 'users/7/Été 2026/pont #2.jpg';
    const sources = sourcesThroughStack.getContainerClient(SOURCES);
    await sources
      .getBlockBlobClient(blobName)
      .uploadData(await makePhoto({ width: 1600, height: 1200, format: 'jpeg', seed: 7 }), {
        blobHTTPHeaders: { blobContentType: 'image/jpeg' },
      });

    const document = await finalDocument(blobName);
    expect(document.status).toBe('completed');
    const expected: Record<string, [number, number]> = {
      thumb: [150, 113],
      medium: [640, 480],
      large: [1280, 960],
    };
    expect(document.variants.map((variant) => variant.label).sort()).toEqual(['large', 'medium', 'thumb']);

    const stored: string[] = [];
    for await (const blob of derivatives.getContainerClient(PROCESSED).listBlobsFlat())
      stored.push(blob.name);
    expect(stored.sort()).toEqual(document.variants.map((variant) => variant.blobName).sort());
    // The sources account never got the container, let alone a derivative.
    expect(await images.getContainerClient(PROCESSED).exists()).toBe(false);

    for (const variant of document.variants) {
      expect(variant.url.startsWith(`${baseUrl}/`), variant.url).toBe(true);
      expect(decodeURIComponent(variant.url.slice(baseUrl.length + 1))).toBe(variant.blobName);
      // Anonymous GET of the url, as a browser does: the derivative's own bytes.
      const response = await fetch(variant.url);
      expect(response.status, variant.url).toBe(200);
      const bytes = Buffer.from(await response.arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect([meta.width, meta.height], variant.label).toEqual(expected[variant.label]);
      expect(bytes.length).toBe(variant.sizeBytes);
    }
  });
});
