import { InvocationContext } from '@azure/functions';
import {
  BlobServiceClient,
  newPipeline,
  StorageSharedKeyCredential,
  type ContainerClient,
  type RequestPolicyFactory,
} from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import sharp from 'sharp';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { decideDerivativeWrite } from '../../src/activities/resize/derivativeOrder';
import { uploadDerivative } from '../../src/activities/resize/uploadDerivative';
import { createResizeHandler } from '../../src/activities/resize/resizeHandler';
import type { RenderFunction, ResizeDeps } from '../../src/activities/resize/resizeToOutcome';
import { loadSettings } from '../../src/config/settings';
import type { ResizeOutcome, SizeSpec, SourceRef } from '../../src/domain/types';
import { renderDerivative, renderRendition } from '../../src/imaging';
import type { RenderedDerivative } from '../../src/imaging/types';
import { makePhoto } from '../support/images';
import { testEnv } from '../support/env';
import { openImageContainers, resizeDeps } from './resizeFixture';

const settings = loadSettings(testEnv());
const THUMB: SizeSpec = {
  label: 'thumb',
  width: 150,
  height: 150,
  fit: 'inside',
  formats: ['source'],
};
const SEQUENCER_A = '000000000000000000000000000000010000000000000001';
const SEQUENCER_B = '000000000000000000000000000000020000000000000001';
let blobService: BlobServiceClient;
let unprocessed: ContainerClient;
let processed: ContainerClient;
/** Version A is landscape, version B portrait, so a thumbnail's dimensions tell which version made it. */
let photoA: Buffer;
let photoB: Buffer;

beforeAll(async () => {
  ({ blobService, unprocessed, processed } = await openImageContainers(settings));
  photoA = await makePhoto({ width: 600, height: 300, format: 'jpeg' });
  photoB = await makePhoto({ width: 300, height: 600, format: 'jpeg', seed: 2 });
});

function deps(overrides: Partial<ResizeDeps> = {}): ResizeDeps {
  return resizeDeps(settings, blobService, overrides);
}

async function runResize(source: SourceRef, resizeDeps = deps()): Promise<ResizeOutcome> {
  const handler = createResizeHandler(() => resizeDeps);
  const context = new InvocationContext({ functionName: 'resize-thumb', logHandler: () => undefined });
  return (await handler(
    { source, size: THUMB, instanceId: `img-${randomUUID()}` },
    context,
  )) as ResizeOutcome;
}

/** Writes a version of the source blob and returns it as its BlobCreated event would describe it. */
async function putSource(blobName: string, data: Buffer, sequencer: string): Promise<SourceRef> {
  const response = await unprocessed.getBlockBlobClient(blobName).uploadData(data);
  return {
    container: settings.unprocessedContainer,
    blobName,
    eTag: response.etag ?? '',
    sequencer,
    contentLength: data.length,
    contentType: 'image/jpeg',
  };
}

async function thumbOf(blobName: string): Promise<{ size: [number?, number?]; metadata: unknown }> {
  const blob = processed.getBlobClient(blobName.replace(/\.jpg$/, '_thumb.jpg'));
  const [bytes, properties] = await Promise.all([blob.downloadToBuffer(), blob.getProperties()]);
  const { width, height } = await sharp(bytes).metadata();
  return { size: [width, height], metadata: properties.metadata };
}

async function rendered(photo: Buffer): Promise<RenderedDerivative> {
  const result = await renderDerivative(
    photo,
    { width: 150, height: 150 },
    {
      maxSourceBytes: settings.maxSourceBytes,
      maxSourcePixels: settings.maxSourcePixels,
    },
  );
  if (!result.ok) throw new Error(`render failed: ${JSON.stringify(result.error)}`);
  return result.derivative;
}

describe('derivative upload: an older source version never overwrites a newer one', () => {
  it("an activity of version A that finishes after B's run leaves B's derivative and reports superseded", async () => {
    const blobName = `users/${randomUUID()}/cat.jpg`;
    const sourceA = await putSource(blobName, photoA, SEQUENCER_A);
    let sourceB: SourceRef | undefined;
    let outcomeB: ResizeOutcome | undefined;
    // A's download succeeded (If-Match A); while A renders, the user uploads B and B's run completes.
    const renderWithRace: RenderFunction = async (bytes, box, limits) => {
      sourceB = await putSource(blobName, photoB, SEQUENCER_B);
      outcomeB = await runResize(sourceB);
      return renderRendition(bytes, box, limits);
    };
    const outcomeA = await runResize(sourceA, deps({ render: renderWithRace }));

    expect(outcomeB).toMatchObject({ ok: true });
    expect(outcomeA).toMatchObject({ ok: false, label: 'thumb', errors: [{ code: 'superseded' }] });
    expect(await thumbOf(blobName)).toEqual({
      size: [75, 150],
      metadata: {
        sourceetag: sourceB?.eTag.replace(/"/g, ''),
        sourcesequencer: SEQUENCER_B,
        sizelabel: 'thumb',
      },
    });
  });

  it('records the source version in a new derivative, and a newer version replaces an older one', async () => {
    const blobName = `users/${randomUUID()}/cat.jpg`;
    const sourceA = await putSource(blobName, photoA, SEQUENCER_A);
    expect(await runResize(sourceA)).toMatchObject({ ok: true, variants: [{ width: 150, height: 75 }] });
    expect(await thumbOf(blobName)).toEqual({
      size: [150, 75],
      metadata: {
        sourceetag: sourceA.eTag.replace(/"/g, ''),
        sourcesequencer: SEQUENCER_A,
        sizelabel: 'thumb',
      },
    });

    const sourceB = await putSource(blobName, photoB, SEQUENCER_B);
    expect(await runResize(sourceB)).toMatchObject({ ok: true, variants: [{ width: 75, height: 150 }] });
    expect(await thumbOf(blobName)).toMatchObject({
      size: [75, 150],
      metadata: { sourcesequencer: SEQUENCER_B },
    });
  });

  it('a re-run of the same version overwrites its own derivative, also with an unknown order', async () => {
    const blobName = `users/${randomUUID()}/cat.jpg`;
    const source = await putSource(blobName, photoA, SEQUENCER_A);
    const first = await runResize(source);
    const again = await runResize(source);
    const reprocess = await runResize({ ...source, sequencer: '' });
    if (!first.ok || !again.ok || !reprocess.ok) {
      throw new Error(`expected ok: ${JSON.stringify([first, again, reprocess])}`);
    }
    expect(
      new Set([first.variants[0]!.eTag, again.variants[0]!.eTag, reprocess.variants[0]!.eTag]).size,
    ).toBe(3);
    const stored = await processed.getBlobClient(reprocess.variants[0]!.blobName).getProperties();
    expect(stored.etag).toBe(reprocess.variants[0]!.eTag);
  });

  it('a reprocess of unknown order replaces a newer-sequenced derivative only while its version is the source', async () => {
    const blobName = `users/${randomUUID()}/cat.jpg`;
    const sourceA = await putSource(blobName, photoA, SEQUENCER_A);
    await runResize({ ...sourceA, sequencer: SEQUENCER_B }); // some other eTag's derivative, later sequencer
    await processed
      .getBlockBlobClient(blobName.replace(/\.jpg$/, '_thumb.jpg'))
      .setMetadata({ sourceetag: '0xOTHER', sourcesequencer: SEQUENCER_B, sizelabel: 'thumb' });
    const derivative = await rendered(photoA);
    const upload = (source: SourceRef) =>
      uploadDerivative(blobService, {
        processedContainer: settings.processedContainer,
        source,
        label: 'thumb',
        derivative,
        now: new Date(),
      });

    // The source is no longer version 0xGONE: that reprocess must not write.
    expect(await upload({ ...sourceA, eTag: '"0xGONE"', sequencer: '' })).toMatchObject({
      ok: false,
      error: { code: 'superseded' },
    });
    // The source still is A: the reprocess of A wins whatever the stored sequencer says.
    expect(await upload({ ...sourceA, sequencer: '' })).toMatchObject({ ok: true });
    expect(await thumbOf(blobName)).toMatchObject({
      metadata: { sourceetag: sourceA.eTag.replace(/"/g, '') },
    });
  });
});

describe('derivative upload: a concurrent writer between our read and our write', () => {
  /** A client whose first PUT of `blobName` lets `interleave` run just before the request leaves. */
  function racingClient(
    blobName: string,
    interleave: () => Promise<void>,
  ): { client: BlobServiceClient; fired: () => boolean } {
    const connection = inject('azuriteConnectionString');
    const field = (name: string) => new RegExp(`${name}=([^;]+)`).exec(connection)?.[1] ?? '';
    const pipeline = newPipeline(new StorageSharedKeyCredential(field('AccountName'), field('AccountKey')), {
      retryOptions: { maxTries: 1 },
    });
    let fired = false;
    const race: RequestPolicyFactory = {
      create: (next) => ({
        sendRequest: async (request) => {
          if (
            !fired &&
            request.method === 'PUT' &&
            decodeURIComponent(new URL(request.url).pathname).endsWith(blobName)
          ) {
            fired = true;
            await interleave();
          }
          return next.sendRequest(request);
        },
      }),
    };
    pipeline.factories.unshift(race);
    return { client: new BlobServiceClient(field('BlobEndpoint'), pipeline), fired: () => fired };
  }

  it('re-reads after losing a create race (409/412) and yields to the newer version that won', async () => {
    const blobName = `users/${randomUUID()}/cat.jpg`;
    const sourceA = await putSource(blobName, photoA, SEQUENCER_A);
    const derivativeName = blobName.replace(/\.jpg$/, '_thumb.jpg');
    const newer = await rendered(photoB);
    const { client, fired } = racingClient(derivativeName, async () => {
      await uploadDerivative(blobService, {
        processedContainer: settings.processedContainer,
        source: { ...sourceA, eTag: '"0xB"', sequencer: SEQUENCER_B },
        label: 'thumb',
        derivative: newer,
        now: new Date(),
      });
    });
    const result = await uploadDerivative(client, {
      processedContainer: settings.processedContainer,
      source: sourceA,
      label: 'thumb',
      derivative: await rendered(photoA),
      now: new Date(),
    });
    expect(fired()).toBe(true);
    expect(result).toMatchObject({ ok: false, error: { code: 'superseded' } });
    expect(await thumbOf(blobName)).toMatchObject({ size: [75, 150], metadata: { sourceetag: '0xB' } });
  });

  it('re-reads after losing an overwrite race (412) and replaces the older version that won', async () => {
    const blobName = `users/${randomUUID()}/cat.jpg`;
    const sourceB = await putSource(blobName, photoB, SEQUENCER_B);
    const derivativeName = blobName.replace(/\.jpg$/, '_thumb.jpg');
    const older = await rendered(photoA);
    const olderWrite = () =>
      uploadDerivative(blobService, {
        processedContainer: settings.processedContainer,
        source: { ...sourceB, eTag: '"0xA"', sequencer: SEQUENCER_A },
        label: 'thumb',
        derivative: older,
        now: new Date(),
      });
    await olderWrite();
    const { client, fired } = racingClient(derivativeName, async () => {
      expect(await olderWrite()).toMatchObject({ ok: true });
    });
    const result = await uploadDerivative(client, {
      processedContainer: settings.processedContainer,
      source: sourceB,
      label: 'thumb',
      derivative: await rendered(photoB),
      now: new Date(),
    });
    expect(fired()).toBe(true);
    expect(result).toMatchObject({ ok: true });
    expect(await thumbOf(blobName)).toMatchObject({
      size: [75, 150],
      metadata: { sourcesequencer: SEQUENCER_B },
    });
  });
});

describe('decideDerivativeWrite', () => {
  const ours = { eTag: '"0xA"', sequencer: SEQUENCER_A };
  const noHead = (): Promise<string | undefined> => Promise.reject(new Error('HEAD not expected'));

  it('creates when nothing exists and overwrites the same version without asking the source', async () => {
    expect(await decideDerivativeWrite(ours, undefined, noHead)).toEqual({ action: 'create' });
    const same = { eTag: '"e1"', sourceETag: '0xA', sourceSequencer: SEQUENCER_B };
    expect(await decideDerivativeWrite(ours, same, noHead)).toEqual({ action: 'overwrite', eTag: '"e1"' });
  });

  it('orders two known sequencers by string order: newer is superseded, older and equal are replaced', async () => {
    const newer = { eTag: '"e2"', sourceETag: '0xB', sourceSequencer: SEQUENCER_B };
    const older = { eTag: '"e0"', sourceETag: '0xZ', sourceSequencer: SEQUENCER_A.replace('1', '0') };
    expect(await decideDerivativeWrite(ours, newer, noHead)).toMatchObject({ action: 'superseded' });
    expect(await decideDerivativeWrite(ours, older, noHead)).toEqual({ action: 'overwrite', eTag: '"e0"' });
  });

  it('asks the source when either order is unknown (a reprocess, or a derivative without sequencer)', async () => {
    const legacy = { eTag: '"e3"', sourceETag: '0xB', sourceSequencer: undefined };
    const stillA = () => Promise.resolve<string | undefined>('"0xA"');
    const nowB = () => Promise.resolve<string | undefined>('"0xB"');
    expect(await decideDerivativeWrite(ours, legacy, stillA)).toEqual({ action: 'overwrite', eTag: '"e3"' });
    expect(await decideDerivativeWrite(ours, legacy, nowB)).toMatchObject({ action: 'superseded' });
    const known = { eTag: '"e4"', sourceETag: '0xB', sourceSequencer: SEQUENCER_A };
    expect(await decideDerivativeWrite({ ...ours, sequencer: '' }, known, nowB)).toMatchObject({
      action: 'superseded',
    });
  });
});
