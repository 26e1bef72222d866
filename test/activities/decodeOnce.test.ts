/**
 * The decode-once activities against Azurite: prepareSource writes the intermediate to the scratch container
 * (never to images-processed), a retry reuses it, every size renders from it with the per-size dimensions,
 * a missing intermediate falls back to the source, and deleteIntermediate removes it.
 */
import { InvocationContext } from '@azure/functions';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDeleteIntermediateHandler } from '../../src/activities/deleteIntermediate';
import { createPrepareSourceHandler } from '../../src/activities/prepareSource';
import { NOTHING_TO_DECODE, type PrepareDeps } from '../../src/activities/prepare/prepareToOutcome';
import { createResizeHandler } from '../../src/activities/resize/resizeHandler';
import { createPlaceholderHandler } from '../../src/activities/makePlaceholder';
import { makePlaceholder, makePlaceholderFromIntermediate } from '../../src/imaging';
import { loadSettings } from '../../src/config/settings';
import type {
  IntermediateRef,
  PrepareSourceOutcome,
  ResizeOutcome,
  SizeSpec,
  SourceRef,
} from '../../src/domain/types';
import { deleteIntermediate, writeIntermediate } from '../../src/storage/intermediateBlob';
import { makePhoto } from '../support/images';
import { testEnv } from '../support/env';
import { openImageContainers, resizeDeps, SOURCE_FORMAT_SIZES, uploadSourceRef } from './resizeFixture';

const settings = loadSettings({ ...testEnv(), SCRATCH_CONTAINER: `scratch${Date.now().toString(36)}` });
const SIZES = SOURCE_FORMAT_SIZES;
let blobService: BlobServiceClient;
let derivativeBlobService: BlobServiceClient;
let unprocessed: ContainerClient;
let processed: ContainerClient;
let scratch: ContainerClient;

beforeAll(async () => {
  ({ blobService, derivativeBlobService, unprocessed, processed } = await openImageContainers(settings));
  // Not created here: the first prepare creates the scratch container itself.
  scratch = blobService.getContainerClient(settings.scratchContainer);
});

function context(): InvocationContext {
  return new InvocationContext({ functionName: 'decode-once-test', logHandler: () => undefined });
}

function prepareDeps(): PrepareDeps {
  return {
    blobService,
    scratchContainer: settings.scratchContainer,
    limits: { maxSourceBytes: settings.maxSourceBytes, maxSourcePixels: settings.maxSourcePixels },
    derivativeBlobService,
    processedContainer: settings.processedContainer,
  };
}

function uploadSource(data: Buffer, file: string, contentType: string): Promise<SourceRef> {
  return uploadSourceRef(unprocessed, settings, `users/${randomUUID()}/${file}`, data, contentType);
}

async function prepare(
  source: SourceRef,
  sizes = SIZES,
  instanceId = 'img-1',
): Promise<PrepareSourceOutcome> {
  const handler = createPrepareSourceHandler(prepareDeps);
  return (await handler({ source, sizes, instanceId }, context())) as PrepareSourceOutcome;
}

async function resize(
  source: SourceRef,
  size: SizeSpec,
  intermediate?: IntermediateRef,
): Promise<ResizeOutcome> {
  const handler = createResizeHandler(() => resizeDeps(settings, blobService));
  const input = { source, size, instanceId: 'img-1', ...(intermediate ? { intermediate } : {}) };
  return (await handler(input, context())) as ResizeOutcome;
}

function intermediateOf(outcome: PrepareSourceOutcome): IntermediateRef {
  if (!outcome.ok || !('intermediate' in outcome)) {
    throw new Error(`expected an intermediate, got ${JSON.stringify(outcome)}`);
  }
  return outcome.intermediate;
}

async function scratchNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of scratch.listBlobsFlat()) names.push(blob.name);
  return names;
}

describe('decode once against Azurite', () => {
  it('PNG: one intermediate in the scratch container, reused by a retry, read by every size, then deleted', async () => {
    const png = await makePhoto({ width: 1600, height: 1000, format: 'png' });
    const source = await uploadSource(png, 'scan.png', 'image/png');
    const first = intermediateOf(await prepare(source));
    expect(first).toMatchObject({
      container: settings.scratchContainer,
      width: 1280,
      height: 800,
      source: {
        format: 'PNG',
        width: 1600,
        height: 1000,
        hasAlpha: false,
        length: png.length,
        contentType: 'image/png',
      },
    });
    expect(await scratchNames()).toEqual([first.blobName]);

    // A retry (or a re-run of the same version and plan) finds it again instead of decoding.
    const again = intermediateOf(await prepare(source));
    expect(again).toEqual(first);

    for (const size of SIZES) {
      const once = await resize(source, size, first);
      const direct = await resize(source, size);
      if (!once.ok || !direct.ok) throw new Error('expected both to render');
      expect([once.variants[0]!.width, once.variants[0]!.height, once.variants[0]!.format]).toEqual([
        direct.variants[0]!.width,
        direct.variants[0]!.height,
        'png',
      ]);
      expect(once.source).toEqual(direct.source);
    }
    // Nothing of the intermediate is visible where the site reads derivatives.
    for await (const blob of processed.listBlobsFlat({
      prefix: source.blobName.slice(0, source.blobName.lastIndexOf('/')),
    })) {
      expect(blob.name).toMatch(/scan\.png\/[0-9a-f]{12}\/(thumb|medium|large)\.png$/);
    }

    const remove = createDeleteIntermediateHandler(() => blobService);
    expect(await remove(first, context())).toBe(true);
    expect(await scratchNames()).toEqual([]);
    expect(await remove(first, context())).toBe(false); // a retried delete is fine
  });

  it('a reprocess with nothing to do decodes nothing: no intermediate; one more format and it decodes again', async () => {
    const png = await makePhoto({ width: 1200, height: 900, format: 'png' });
    const source = await uploadSource(png, 'done.png', 'image/png');
    const upload = intermediateOf(await prepare(source, SIZES, 'img-upload'));
    const stored = new Map<string, string[]>();
    for (const size of SIZES) {
      const outcome = await resize(source, size, upload);
      stored.set(
        size.label,
        outcome.variants.map((variant) => variant.eTag),
      );
    }
    await createDeleteIntermediateHandler(() => blobService)(upload, context());
    expect(await scratchNames()).toEqual([]);

    // Same plan, every format stored with these settings: no decode, so no intermediate is written.
    expect(await prepare(source, SIZES, 'img-reprocess')).toEqual({
      ok: true,
      readSource: NOTHING_TO_DECODE,
    });
    expect(await scratchNames()).toEqual([]);
    // Each size then re-records what is stored (the same blobs, never rewritten).
    for (const size of SIZES) {
      const outcome = await resize(source, size);
      expect(outcome.variants.map((variant) => variant.eTag)).toEqual(stored.get(size.label));
    }

    // A label retuned since (same formats, other settings): its sizes record `rendition-changed` from the
    // stored blobs without decoding, so this step decodes nothing either.
    const retuned = SIZES.map((size) => (size.label === 'thumb' ? { ...size, width: 120 } : size));
    expect(await prepare(source, retuned, 'img-retuned')).toEqual({
      ok: true,
      readSource: NOTHING_TO_DECODE,
    });
    expect(await scratchNames()).toEqual([]);

    // A format not stored yet: the run decodes once again.
    const withWebp = SIZES.map((size) =>
      size.label === 'thumb' ? { ...size, formats: ['source' as const, 'webp' as const] } : size,
    );
    const again = intermediateOf(await prepare(source, withWebp, 'img-webp'));
    expect(await scratchNames()).toEqual([again.blobName]);
    await createDeleteIntermediateHandler(() => blobService)(again, context());
  });

  it('a reprocess with nothing to do reads no source byte: the source deleted since gives the same answers', async () => {
    const png = await makePhoto({ width: 1200, height: 900, format: 'png' });
    const source = await uploadSource(png, 'gone.png', 'image/png');
    const upload = intermediateOf(await prepare(source, SIZES, 'img-upload'));
    const first = new Map<string, ResizeOutcome>();
    for (const size of SIZES) first.set(size.label, await resize(source, size, upload));
    await createDeleteIntermediateHandler(() => blobService)(upload, context());
    // Gone: any read of it would be `source-missing`.
    await unprocessed.deleteBlob(source.blobName);
    expect(await prepare(source, SIZES, 'img-reprocess')).toEqual({
      ok: true,
      readSource: NOTHING_TO_DECODE,
    });
    for (const size of SIZES) {
      const outcome = await resize(source, size);
      const before = first.get(size.label)!;
      expect(outcome.ok).toBe(true);
      expect(outcome.variants.map((variant) => variant.eTag)).toEqual(before.variants.map((v) => v.eTag));
      expect(outcome.source).toEqual(before.source);
    }
  });

  it("two runs of one version keep their own intermediates: one run ending never deletes the other's", async () => {
    const png = await makePhoto({ width: 800, height: 600, format: 'png' });
    const source = await uploadSource(png, 'twice.png', 'image/png');
    const first = intermediateOf(await prepare(source, SIZES, 'run-a'));
    const second = intermediateOf(await prepare(source, SIZES, 'run-b'));
    expect(second.blobName).not.toBe(first.blobName);
    const remove = createDeleteIntermediateHandler(() => blobService);
    const lines: string[] = [];
    const logged = new InvocationContext({
      functionName: 'deleteIntermediate',
      logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
    });
    expect(
      await remove({ intermediate: first, instanceId: 'run-a', blobName: source.blobName }, logged),
    ).toBe(true);
    // The log line names the run whose intermediate it deleted.
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual({
      msg: 'intermediate deleted',
      intermediate: first.blobName,
      deleted: true,
      blobName: source.blobName,
      instanceId: 'run-a',
    });
    expect(await scratch.getBlobClient(second.blobName).exists()).toBe(true);
    const outcome = await resize(source, SIZES[0] as SizeSpec, second);
    expect(outcome.ok).toBe(true);
    expect(await remove(second, context())).toBe(true); // the bare ref of a run started before runs were named
  });

  it('the write is create-only (an existing intermediate is kept and reused) and the delete matches its eTag', async () => {
    const name = `${randomUUID()}/8x8.tiff`;
    const description = {
      width: 8,
      height: 8,
      source: { format: 'PNG', width: 8, height: 8, hasAlpha: false, length: 10, contentType: 'image/png' },
    };
    const written = await writeIntermediate(
      blobService,
      settings.scratchContainer,
      name,
      Buffer.from('first'),
      description,
    );
    const again = await writeIntermediate(
      blobService,
      settings.scratchContainer,
      name,
      Buffer.from('second'),
      description,
    );
    expect(again).toEqual(written);
    expect((await scratch.getBlobClient(name).downloadToBuffer()).toString()).toBe('first');
    // A delete holding another eTag (a writer that is not this run) leaves the blob alone.
    expect(await deleteIntermediate(blobService, { ...written, eTag: '0x8DSTALE' })).toBe(false);
    expect(await scratch.getBlobClient(name).exists()).toBe(true);
    expect(await deleteIntermediate(blobService, written)).toBe(true);
    // A blob there that is not an intermediate is never overwritten.
    await scratch.getBlockBlobClient(name).upload('x', 1);
    await expect(
      writeIntermediate(blobService, settings.scratchContainer, name, Buffer.from('third'), description),
    ).rejects.toThrow(/exists but is not an intermediate/);
    expect((await scratch.getBlobClient(name).downloadToBuffer()).toString()).toBe('x');
  });

  it('a label renders all its formats, a cover crop included, from the intermediate alone', async () => {
    const png = await makePhoto({ width: 1600, height: 400, format: 'png' });
    const source = await uploadSource(png, 'pano.png', 'image/png');
    const square: SizeSpec = {
      label: 'square',
      width: 300,
      height: 300,
      fit: 'cover',
      position: 'attention',
      formats: ['source', 'webp'],
    };
    const plan = [square, ...SIZES.slice(0, 1)];
    const ref = intermediateOf(await prepare(source, plan));
    // Covering 300x300 needs the 1600x400 source at 0.75 (the inside boxes alone would need 150x38).
    expect([ref.width, ref.height]).toEqual([1200, 300]);
    // With the source gone, only the intermediate can give the label its pixels.
    await unprocessed.getBlobClient(source.blobName).delete();
    const outcome = await resize(source, square, ref);
    if (!outcome.ok) throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
    expect(outcome.errors).toEqual([]);
    expect(outcome.variants.map((v) => [v.format, v.width, v.height])).toEqual([
      ['png', 300, 300],
      ['webp', 300, 300],
    ]);
    for (const variant of outcome.variants) {
      const metadata = await sharp(
        await processed.getBlobClient(variant.blobName).downloadToBuffer(),
      ).metadata();
      expect([metadata.format, metadata.width, metadata.height]).toEqual([variant.format, 300, 300]);
    }
    expect(outcome.source).toEqual({
      format: 'PNG',
      width: 1600,
      height: 400,
      length: png.length,
      contentType: 'image/png',
    });
  });

  it('the placeholder reads the intermediate when the run has one', async () => {
    const png = await makePhoto({ width: 1600, height: 1000, format: 'png' });
    const source = await uploadSource(png, 'placeholder.png', 'image/png');
    const ref = intermediateOf(await prepare(source));
    const fromSource = await makePlaceholder(png, settings);
    if (!fromSource.ok) throw new Error(fromSource.error.message);
    // With the source gone, only the intermediate can give the placeholder its pixels.
    await unprocessed.getBlobClient(source.blobName).delete();
    const handler = createPlaceholderHandler(() => ({
      blobService,
      limits: { maxSourceBytes: settings.maxSourceBytes, maxSourcePixels: settings.maxSourcePixels },
      make: makePlaceholder,
      makeFromIntermediate: makePlaceholderFromIntermediate,
    }));
    const outcome = await handler({ source, instanceId: 'img-1', intermediate: ref }, context());
    expect(outcome).toMatchObject({ ok: true, placeholder: { thumbhash: expect.any(String) } });
    const channels = (hex: string) => [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16));
    const made = (outcome as { placeholder: { dominantColor: string } }).placeholder.dominantColor;
    channels(made).forEach((value, index) =>
      expect(
        Math.abs(value - (channels(fromSource.placeholder.dominantColor)[index] ?? 0)),
      ).toBeLessThanOrEqual(16),
    );
  });

  it('a size whose intermediate is gone reads the source instead', async () => {
    const png = await makePhoto({ width: 800, height: 600, format: 'png' });
    const source = await uploadSource(png, 'gone.png', 'image/png');
    const ref = intermediateOf(await prepare(source));
    await scratch.getBlobClient(ref.blobName).delete();
    const outcome = await resize(source, SIZES[0] as SizeSpec, ref);
    expect(outcome.ok && [outcome.variants[0]!.width, outcome.variants[0]!.height]).toEqual([150, 113]);
  });

  it('HEIC: decoded once, the sizes come out upright JPEGs', async () => {
    const heic = readFileSync(path.join(__dirname, '../fixtures/heic/irot-270-exif-6.heic'));
    const source = await uploadSource(heic, 'IMG_0002.HEIC', 'image/heic');
    const sizes: SizeSpec[] = [
      { label: 'small', width: 48, height: 48, fit: 'inside', formats: ['source'] },
      { label: 'full', width: 1280, height: 1280, fit: 'inside', formats: ['source'] },
    ];
    const ref = intermediateOf(await prepare(source, sizes));
    expect([ref.width, ref.height, ref.source.format]).toEqual([96, 64, 'HEIC']);
    const outcome = await resize(source, sizes[0] as SizeSpec, ref);
    if (!outcome.ok) throw new Error(outcome.errors[0]?.message);
    expect([outcome.variants[0]!.width, outcome.variants[0]!.height, outcome.variants[0]!.format]).toEqual([
      48,
      32,
      'jpeg',
    ]);
    const { data, info } = await sharp(
      await processed.getBlobClient(outcome.variants[0]!.blobName).downloadToBuffer(),
    )
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(180); // red marker top-left
    expect(data[(info.width - 1) * info.channels + 1]).toBeGreaterThan(150); // green marker top-right
  });

  it('JPEG: "read the source", no intermediate written', async () => {
    const source = await uploadSource(
      await makePhoto({ width: 800, height: 600, format: 'jpeg' }),
      'x.bin',
      'application/octet-stream',
    );
    const outcome = await prepare(source);
    expect(outcome).toEqual({
      ok: true,
      readSource: 'JPEG shrinks on load: each size decodes it cheaply',
    });
  });

  it('routes by the bytes, not the declared type: a HEIC uploaded as image/jpeg is decoded once', async () => {
    const heic = readFileSync(path.join(__dirname, '../fixtures/heic/plain.heic'));
    const source = await uploadSource(heic, 'IMG_0003.jpg', 'image/jpeg');
    const ref = intermediateOf(await prepare(source));
    expect([ref.width, ref.height, ref.source.format]).toEqual([96, 64, 'HEIC']);
  });

  it('routes by the bytes: a JPEG larger than the sniffed head, declared image/heic, reads the source', async () => {
    const jpeg = await makePhoto({ width: 800, height: 600, format: 'jpeg' });
    expect(jpeg.length).toBeGreaterThan(4096); // so only a ranged head was read
    const source = await uploadSource(jpeg, 'IMG_0004.HEIC', 'image/heic');
    expect(await prepare(source)).toEqual({
      ok: true,
      readSource: 'JPEG shrinks on load: each size decodes it cheaply',
    });
  });

  it('an empty source is one not-an-image outcome (no ranged read of an empty blob)', async () => {
    const source = await uploadSource(Buffer.alloc(0), 'empty.png', 'image/png');
    const outcome = await prepare(source);
    expect(!outcome.ok && outcome.error.code).toBe('not-an-image');
  });

  it('a corrupt source is one error outcome for the whole run', async () => {
    const png = await makePhoto({ width: 400, height: 300, format: 'png' });
    const source = await uploadSource(png.subarray(0, png.length / 2), 'half.png', 'image/png');
    const outcome = await prepare(source);
    expect(!outcome.ok && outcome.error.code).toBe('corrupt-image');
  });
});
