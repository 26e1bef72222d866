import type { CosmosClient, Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobCreatedEvent, type RunningStack } from '@image-derivatives/devhost';
import { documentIdFor, instanceIdFor, versionTagFor } from '../../src/domain/ids';
import type { ImageDocument } from '../../src/domain/types';
import { stackClients, startInMemoryStack, UNPROCESSED, uploadBlob, waitFor } from '../support/e2eStack';

/**
 * Source versions over time on the local stack: same-stem sources, property writes, overwrites, replaced
 * versions and deletes. Events are delivered explicitly, in the order and with the sequencers Azure's rules
 * allow (the stack's own publisher is idle: it polls once a day), so each case controls what Azure would send.
 */
const GRACE_SECONDS = 2;
const runId = Date.now().toString(36);

let stack: RunningStack;
let unprocessed: ContainerClient;
let processed: ContainerClient;
let cosmos: CosmosClient;
let documents: Container;

type Rgb = [number, number, number];
const RED: Rgb = [220, 20, 20];
const GREEN: Rgb = [20, 200, 20];
const BLUE: Rgb = [20, 20, 220];

function solid([r, g, b]: Rgb, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const image = sharp({ create: { width: 400, height: 300, channels: 3, background: { r, g, b } } });
  return (format === 'png' ? image.png() : image.jpeg()).toBuffer();
}

/** The colour at the centre of a derivative, as real pixels decoded by sharp. */
async function centreColour(blobName: string): Promise<Rgb> {
  const bytes = await processed.getBlobClient(blobName).downloadToBuffer();
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
  return [data[at] ?? 0, data[at + 1] ?? 0, data[at + 2] ?? 0];
}

function expectColour(actual: Rgb, expected: Rgb): void {
  for (const [index, channel] of expected.entries())
    expect(Math.abs((actual[index] ?? 0) - channel)).toBeLessThan(12);
}

function upload(blobName: string, data: Buffer, contentType = 'image/jpeg'): Promise<string> {
  return uploadBlob(unprocessed, blobName, data, contentType);
}

const sequencer = (n: number) => n.toString(16).padStart(32, '0');

async function deliver(event: unknown): Promise<number> {
  const response = await fetch(`${stack.baseUrl}/runtime/webhooks/eventgrid?functionName=onImageUploaded`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify([event]),
  });
  return response.status;
}

/** A BlobCreated or BlobDeleted as Azure raises it for the blob, with the given per-blob sequencer. */
function storageEvent(blobName: string, eTag: string, sequence: number, contentLength: number) {
  const event = blobCreatedEvent({
    accountName: 'devstoreaccount1',
    container: UNPROCESSED,
    name: blobName,
    url: unprocessed.getBlobClient(blobName).url,
    api: 'PutBlob',
    eTag,
    contentType: 'image/jpeg',
    contentLength,
    blobType: 'BlockBlob',
    lastModified: new Date(),
    sequence: 1,
  });
  return { ...event, data: { ...event.data, sequencer: sequencer(sequence) } };
}

/** The BlobCreated Azure raises for the write that produced `eTag`. */
function created(blobName: string, eTag: string, sequence: number, contentLength: number): Promise<number> {
  return deliver(storageEvent(blobName, eTag, sequence, contentLength));
}

/** A BlobDeleted as Azure sends it: no eTag, no contentLength, `api` DeleteBlob. */
function deletedEvent(blobName: string, sequence: number): unknown {
  const template = storageEvent(blobName, '"0x0"', sequence, 0);
  const data: Record<string, unknown> = { ...template.data, api: 'DeleteBlob' };
  delete data.eTag;
  delete data.contentLength;
  return { ...template, eventType: 'Microsoft.Storage.BlobDeleted', data };
}

async function readDocument(blobName: string): Promise<ImageDocument | undefined> {
  const id = documentIdFor(UNPROCESSED, blobName);
  const { resource } = await documents.item(id, id).read<ImageDocument & { deleted?: boolean }>();
  return resource === undefined || resource.deleted === true ? undefined : resource;
}

function finalDocument(blobName: string, eTag: string): Promise<ImageDocument> {
  return waitFor(`the document of ${blobName} for ${eTag}`, async () => {
    const document = await readDocument(blobName);
    return document && document.sourceETag === eTag.replace(/"/g, '') ? document : undefined;
  });
}

interface InstanceStatus {
  instanceId: string;
  runtimeStatus: string;
  output?: Record<string, unknown>;
  customStatus?: Record<string, unknown>;
}

async function instance(instanceId: string): Promise<InstanceStatus | undefined> {
  const response = await fetch(`${stack.baseUrl}/runtime/webhooks/durabletask/instances/${instanceId}`);
  return response.status === 404 ? undefined : ((await response.json()) as InstanceStatus);
}

function ended(instanceId: string, timeoutMs = 30_000): Promise<InstanceStatus> {
  return waitFor(
    `instance ${instanceId} to end`,
    async () => {
      const status = await instance(instanceId);
      return status && ['Completed', 'Failed', 'Terminated'].includes(status.runtimeStatus)
        ? status
        : undefined;
    },
    timeoutMs,
  );
}

async function derivativesUnder(blobName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of processed.listBlobsFlat({ prefix: `${blobName}/` })) names.push(item.name);
  return names.sort();
}

beforeAll(async () => {
  stack = await startInMemoryStack({
    settings: { REPLACED_DERIVATIVES_GRACE_SECONDS: String(GRACE_SECONDS) },
  });
  // Writes go to Azurite directly, behind the event proxy: every event of these tests is delivered explicitly,
  // in an order and with sequencers Azure can produce.
  ({ unprocessed, processed, cosmos, documents } = stackClients(stack, stack.directConnectionString));
});

afterAll(async () => {
  cosmos?.dispose();
  await stack?.stop();
});

describe('derivative names v2 on the local stack', () => {
  it('coll/pic.jpg, coll/pic.jpeg and coll/pic.JPG keep their own pixels', async () => {
    const sources: Array<[string, Rgb]> = [
      [`v2-${runId}/coll/pic.jpg`, RED],
      [`v2-${runId}/coll/pic.jpeg`, GREEN],
      [`v2-${runId}/coll/pic.JPG`, BLUE],
    ];
    const eTags: string[] = [];
    for (const [name, colour] of sources) {
      const bytes = await solid(colour);
      const eTag = await upload(name, bytes);
      eTags.push(eTag);
      expect(await created(name, eTag, 1, bytes.length)).toBe(202);
    }
    for (const [index, [name, colour]] of sources.entries()) {
      const document = await finalDocument(name, eTags[index] ?? '');
      expect(document.status).toBe('completed');
      expect(document.variants).toHaveLength(3);
      const v = versionTagFor(UNPROCESSED, name, eTags[index] ?? '');
      for (const variant of document.variants) {
        expect(variant.blobName).toBe(`${name}/${v}/${variant.label}.jpg`);
        expectColour(await centreColour(variant.blobName), colour);
        const properties = await processed.getBlobClient(variant.blobName).getProperties();
        expect(properties.cacheControl).toBe('public, max-age=31536000, immutable');
      }
    }
  });

  it('coll2/a.jpeg completes after coll2/a.jpg even with a lower sequencer (sequencers order one blob only)', async () => {
    const jpg = `v2-${runId}/coll2/a.jpg`;
    const jpeg = `v2-${runId}/coll2/a.jpeg`;
    const first = await solid(RED);
    const second = await solid(GREEN);
    const jpgETag = await upload(jpg, first);
    expect(await created(jpg, jpgETag, 900, first.length)).toBe(202);
    expect((await finalDocument(jpg, jpgETag)).status).toBe('completed');
    const jpegETag = await upload(jpeg, second);
    expect(await created(jpeg, jpegETag, 3, second.length)).toBe(202);
    const document = await finalDocument(jpeg, jpegETag);
    expect(document.status).toBe('completed');
    expectColour(await centreColour(document.variants[0]?.blobName ?? ''), GREEN);
  });
});

describe('property and metadata writes', () => {
  it("Put Blob, then Set Blob Metadata, then the Put Blob's event: a completed document and one set of derivatives", async () => {
    const name = `props-${runId}/photo.jpg`;
    const bytes = await solid(BLUE);
    const putETag = await upload(name, bytes);
    const metadataETag =
      (await unprocessed.getBlobClient(name).setMetadata({ uploadedby: 'sftp' })).etag ?? '';
    expect(metadataETag).not.toBe(putETag);
    expect(await created(name, putETag, 1, bytes.length)).toBe(202);

    const document = await finalDocument(name, metadataETag);
    expect(document).toMatchObject({ status: 'completed', errors: [], sourceSequencer: sequencer(1) });
    expectColour(await centreColour(document.variants[0]?.blobName ?? ''), BLUE);
    const handedOver = await ended(instanceIdFor(UNPROCESSED, name, putETag));
    expect(handedOver.output).toMatchObject({
      status: 'superseded',
      handedOffTo: instanceIdFor(UNPROCESSED, name, metadataETag),
    });
    await ended(instanceIdFor(UNPROCESSED, name, metadataETag));
    expect(await derivativesUnder(name)).toEqual(document.variants.map((variant) => variant.blobName).sort());
  });

  it("Put A, Put B, then A's event and B's event: only B's content", async () => {
    const name = `props-${runId}/overwritten.jpg`;
    const a = await solid(RED);
    const b = await solid(GREEN);
    const aETag = await upload(name, a);
    const bETag = await upload(name, b);
    expect(await created(name, aETag, 1, a.length)).toBe(202);
    expect(await created(name, bETag, 2, b.length)).toBe(202);
    const document = await finalDocument(name, bETag);
    expect(document.status).toBe('completed');
    await ended(instanceIdFor(UNPROCESSED, name, aETag));
    await ended(instanceIdFor(UNPROCESSED, name, bETag));
    const names = await derivativesUnder(name);
    expect(names).toEqual(document.variants.map((variant) => variant.blobName).sort());
    for (const blobName of names) expectColour(await centreColour(blobName), GREEN);
  });
});

describe('replaced versions', () => {
  it('after the grace period only the newest version remains: the replaced PNG and an orphan of a losing version go', async () => {
    const name = `replaced-${runId}/x`;
    const png = await solid(RED, 'png');
    const pngETag = await upload(name, png, 'image/png');
    expect(await created(name, pngETag, 1, png.length)).toBe(202);
    const pngDocument = await finalDocument(name, pngETag);
    expect(pngDocument.variants.map((variant) => variant.format)).toEqual(['png', 'png', 'png']);

    // A version that lost mid-run: it uploaded a derivative and never got a document.
    const orphan = `${name}/0123456789ab/thumb.jpg`;
    await processed
      .getBlockBlobClient(orphan)
      .uploadData(Buffer.from('lost'), { metadata: { sourceetag: '0xLOST', sourcesequencer: sequencer(2) } });

    const jpeg = await solid(GREEN);
    const jpegETag = await upload(name, jpeg);
    expect(await created(name, jpegETag, 3, jpeg.length)).toBe(202);
    const jpegDocument = await finalDocument(name, jpegETag);
    expect(jpegDocument.variants.map((variant) => variant.format)).toEqual(['jpeg', 'jpeg', 'jpeg']);
    // The document is visible at once, while the run waits for the grace period.
    const status = await fetch(`${stack.baseUrl}/api/images/${encodeURIComponent(name)}`);
    expect(status.status).toBe(200);
    expect(((await status.json()) as { document: ImageDocument }).document.sourceETag).toBe(
      jpegETag.replace(/"/g, ''),
    );
    for (const variant of pngDocument.variants) {
      expect(await processed.getBlobClient(variant.blobName).exists()).toBe(true);
    }

    const run = await ended(instanceIdFor(UNPROCESSED, name, jpegETag), 30_000 + GRACE_SECONDS * 1000);
    expect(run.output).toMatchObject({ status: 'completed', deletedDerivatives: 4 });
    expect(await derivativesUnder(name)).toEqual(
      jpegDocument.variants.map((variant) => variant.blobName).sort(),
    );
  });
});

describe('BlobDeleted', () => {
  it('deletes the document and every version; GET answers 404; a late older delete of another blob changes nothing', async () => {
    const name = `deleted-${runId}/gone.jpg`;
    const first = await solid(RED);
    const firstETag = await upload(name, first);
    expect(await created(name, firstETag, 1, first.length)).toBe(202);
    await finalDocument(name, firstETag);
    const second = await solid(BLUE);
    const secondETag = await upload(name, second);
    expect(await created(name, secondETag, 2, second.length)).toBe(202);
    await finalDocument(name, secondETag);
    expect((await derivativesUnder(name)).length).toBe(6);

    await unprocessed.deleteBlob(name);
    expect(await deliver(deletedEvent(name, 3))).toBe(202);
    expect(await readDocument(name)).toBeUndefined();
    expect(await derivativesUnder(name)).toEqual([]);
    const status = await fetch(`${stack.baseUrl}/api/images/${encodeURIComponent(name)}`);
    expect(status.status).toBe(404);

    const kept = `deleted-${runId}/kept.jpg`;
    const bytes = await solid(GREEN);
    const keptETag = await upload(kept, bytes);
    expect(await created(kept, keptETag, 5, bytes.length)).toBe(202);
    const document = await finalDocument(kept, keptETag);
    expect(await deliver(deletedEvent(kept, 4))).toBe(202);
    expect(await readDocument(kept)).toMatchObject({ sourceETag: document.sourceETag, status: 'completed' });
    expect((await derivativesUnder(kept)).length).toBe(3);
  });

  it('a delete racing an in-flight run leaves nothing behind', async () => {
    const name = `deleted-${runId}/racing.jpg`;
    const bytes = await solid(RED);
    const eTag = await upload(name, bytes);
    expect(await created(name, eTag, 1, bytes.length)).toBe(202);
    await unprocessed.deleteBlob(name);
    expect(await deliver(deletedEvent(name, 2))).toBe(202);
    await ended(instanceIdFor(UNPROCESSED, name, eTag));
    expect(await readDocument(name)).toBeUndefined();
    expect(await derivativesUnder(name)).toEqual([]);
    expect((await fetch(`${stack.baseUrl}/api/images/${encodeURIComponent(name)}`)).status).toBe(404);
  });
});

describe('a BlobCreated for a blob that does not exist', () => {
  it('writes no document and leaves nothing: the run ends `deleted` and GET answers 404', async () => {
    const name = `ghost-${runId}/never.jpg`;
    expect(await created(name, '"0x8DC0FFEE0000001"', 1, 640)).toBe(202);
    const status = await ended(instanceIdFor(UNPROCESSED, name, '"0x8DC0FFEE0000001"'));
    expect(status).toMatchObject({ runtimeStatus: 'Completed', output: { status: 'deleted', variants: 0 } });
    expect(
      await documents.item(documentIdFor(UNPROCESSED, name), documentIdFor(UNPROCESSED, name)).read(),
    ).toMatchObject({
      statusCode: 404,
    });
    expect(await derivativesUnder(name)).toEqual([]);
    expect((await fetch(`${stack.baseUrl}/api/images/${encodeURIComponent(name)}`)).status).toBe(404);
  });
});

describe('a forged sequencer', () => {
  const FORGED = 'f'.repeat(32);

  /** Upload, process, then a metadata write and a well-formed forged BlobCreated naming the CURRENT eTag. */
  async function frozenByForgery(name: string): Promise<string> {
    const bytes = await solid(RED);
    const eTag = await upload(name, bytes);
    expect(await created(name, eTag, 1, bytes.length)).toBe(202);
    await finalDocument(name, eTag);
    const current = (await unprocessed.getBlobClient(name).setMetadata({ by: 'forger' })).etag ?? '';
    const forged = storageEvent(name, current, 1, bytes.length);
    expect(await deliver({ ...forged, data: { ...forged.data, sequencer: FORGED } })).toBe(202);
    expect(await finalDocument(name, current)).toMatchObject({ sourceSequencer: FORGED });
    await ended(instanceIdFor(UNPROCESSED, name, current), 30_000 + GRACE_SECONDS * 1000);
    return current;
  }

  it('cannot freeze a path: a later real upload gets its document, and a real delete removes everything', async () => {
    const name = `forged-${runId}/upload.jpg`;
    await frozenByForgery(name);
    const bytes = await solid(GREEN);
    const eTag = await upload(name, bytes);
    expect(await created(name, eTag, 2, bytes.length)).toBe(202);
    const document = await finalDocument(name, eTag);
    expect(document).toMatchObject({ status: 'completed', sourceSequencer: sequencer(2) });
    expectColour(await centreColour(document.variants[0]?.blobName ?? ''), GREEN);
    await ended(instanceIdFor(UNPROCESSED, name, eTag), 30_000 + GRACE_SECONDS * 1000);

    // An old delete (before the re-upload) arriving late changes nothing: the source exists as that upload.
    expect(await deliver(deletedEvent(name, 1))).toBe(202);
    expect(await readDocument(name)).toMatchObject({ sourceETag: document.sourceETag });
    expect(await derivativesUnder(name)).toEqual(document.variants.map((variant) => variant.blobName).sort());

    await unprocessed.deleteBlob(name);
    expect(await deliver(deletedEvent(name, 3))).toBe(202);
    expect(await readDocument(name)).toBeUndefined();
    expect(await derivativesUnder(name)).toEqual([]);
  });

  it('cannot keep a deleted photo: the real delete right after the forgery removes the document and derivatives', async () => {
    const name = `forged-${runId}/delete.jpg`;
    await frozenByForgery(name);
    expect((await derivativesUnder(name)).length).toBeGreaterThan(0);
    await unprocessed.deleteBlob(name);
    expect(await deliver(deletedEvent(name, 2))).toBe(202);
    expect(await readDocument(name)).toBeUndefined();
    expect(await derivativesUnder(name)).toEqual([]);
    expect((await fetch(`${stack.baseUrl}/api/images/${encodeURIComponent(name)}`)).status).toBe(404);
  });
});
