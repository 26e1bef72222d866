import { InvocationContext } from '@azure/functions';
import { RestError, type BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DERIVATIVE_CACHE_CONTROL } from '../../src/activities/resize/uploadDerivative';
import { createResizeHandler } from '../../src/activities/resize/resizeHandler';
import type { RenderFunction, ResizeDeps } from '../../src/activities/resize/resizeToOutcome';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { loadSettings } from '../../src/config/settings';
import type { ResizeActivityInput, ResizeOutcome, SizeSpec, SourceRef } from '../../src/domain/types';
import { ImageResourceError } from '../../src/domain/errors';
import { versionTagFor } from '../../src/domain/ids';
import { encodeRaw, renderRendition, type EncodeRaw } from '../../src/imaging';
import { freePort } from '@image-derivatives/devhost';
import { makeNonImage, makePhoto } from '../support/images';
import { testEnv } from '../support/env';
import { openImageContainers, resizeDeps, SOURCE_FORMAT_SIZES, uploadSourceRef } from './resizeFixture';

const settings = loadSettings(testEnv());
const SIZES = SOURCE_FORMAT_SIZES;
let blobService: BlobServiceClient;
let unprocessed: ContainerClient;
let processed: ContainerClient;
let photo: Buffer;

beforeAll(async () => {
  ({ blobService, unprocessed, processed } = await openImageContainers(settings));
  // 2:1, so every box gives exact integer dimensions (and `large` shows the "never enlarged" side too).
  photo = await makePhoto({ width: 1400, height: 700, format: 'jpeg' });
});

function deps(overrides: Partial<ResizeDeps> = {}): ResizeDeps {
  return resizeDeps(settings, blobService, overrides);
}

function context(lines: string[] = []): InvocationContext {
  return new InvocationContext({
    functionName: 'resize-test',
    logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
  });
}

/** Uploads `data` under a unique nested name and returns the event-like source reference. */
function uploadSource(data: Buffer, file = 'cat.photo.jpg', contentType = 'image/jpeg'): Promise<SourceRef> {
  return uploadSourceRef(unprocessed, settings, `users/${randomUUID()}/holiday/${file}`, data, contentType);
}

function input(source: SourceRef, size: SizeSpec): ResizeActivityInput {
  return { source, size, instanceId: `img-${randomUUID().replace(/-/g, '')}` };
}

async function run(
  source: SourceRef,
  size: SizeSpec,
  resizeDeps = deps(),
  lines?: string[],
): Promise<ResizeOutcome> {
  const handler = createResizeHandler(() => resizeDeps);
  return (await handler(input(source, size), context(lines))) as ResizeOutcome;
}

async function derivativesOf(source: SourceRef): Promise<string[]> {
  const prefix = source.blobName.slice(0, source.blobName.lastIndexOf('/') + 1);
  const names: string[] = [];
  for await (const blob of processed.listBlobsFlat({ prefix })) names.push(blob.name);
  return names;
}

describe('resize activity against Azurite', () => {
  it('produces each size from the source, with real dimensions, headers and nested names', async () => {
    const source = await uploadSource(photo);
    const expected = { thumb: [150, 75], medium: [640, 320], large: [1280, 640] } as const;
    for (const size of SIZES) {
      const lines: string[] = [];
      const outcome = await run(source, size, deps(), lines);
      if (!outcome.ok) throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
      const v = versionTagFor(source.container, source.blobName, source.eTag);
      expect(outcome.variants[0]!.blobName).toBe(`${source.blobName}/${v}/${size.label}.jpg`);
      expect(outcome.source).toEqual({
        format: 'JPEG',
        width: 1400,
        height: 700,
        length: photo.length,
        contentType: 'image/jpeg',
      });

      const blob = processed.getBlobClient(outcome.variants[0]!.blobName);
      const properties = await blob.getProperties();
      expect(properties.contentType).toBe('image/jpeg');
      expect(properties.cacheControl).toBe('public, max-age=31536000, immutable');
      expect(properties.cacheControl).toBe(DERIVATIVE_CACHE_CONTROL);
      expect(properties.metadata).toMatchObject({
        sourceetag: source.eTag.replace(/"/g, ''),
        sizelabel: size.label,
      });
      expect(properties.etag).toBe(outcome.variants[0]!.eTag);
      expect(properties.contentLength).toBe(outcome.variants[0]!.sizeBytes);
      expect(outcome.variants[0]!.url).toBe(blob.url);

      const bytes = await blob.downloadToBuffer();
      const metadata = await sharp(bytes).metadata();
      const [width, height] = expected[size.label as keyof typeof expected];
      expect([metadata.format, metadata.width, metadata.height]).toEqual(['jpeg', width, height]);
      expect([outcome.variants[0]!.width, outcome.variants[0]!.height, outcome.variants[0]!.format]).toEqual([
        width,
        height,
        'jpeg',
      ]);

      for (const line of lines) {
        expect(JSON.parse(line)).toMatchObject({ blobName: source.blobName, label: size.label });
        expect((JSON.parse(line) as { instanceId: string }).instanceId).toMatch(/^img-/);
      }
    }
    expect((await derivativesOf(source)).sort()).toHaveLength(3);
  });

  it('keeps PNG with alpha as PNG (extension and content type follow the output) and accepts an unquoted eTag', async () => {
    const png = await makePhoto({ width: 300, height: 200, format: 'png', alpha: true });
    const uploaded = await uploadSource(png, 'logo', 'application/octet-stream');
    const source = { ...uploaded, eTag: uploaded.eTag.replace(/"/g, '') };
    const outcome = await run(source, SIZES[0]!);
    if (!outcome.ok) throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
    const v = versionTagFor(source.container, source.blobName, source.eTag);
    expect(outcome.variants[0]!.blobName).toBe(`${source.blobName}/${v}/thumb.png`);
    const blob = processed.getBlobClient(outcome.variants[0]!.blobName);
    expect((await blob.getProperties()).contentType).toBe('image/png');
    const metadata = await sharp(await blob.downloadToBuffer()).metadata();
    expect([metadata.format, metadata.width, metadata.height, metadata.hasAlpha]).toEqual([
      'png',
      150,
      100,
      true,
    ]);
    expect(outcome.source).toMatchObject({ format: 'PNG', width: 300, height: 200 });
  });

  it('renders every format of a label from one activity: one blob and one variant per format', async () => {
    const source = await uploadSource(photo);
    const square: SizeSpec = {
      label: 'square',
      width: 300,
      height: 300,
      fit: 'cover',
      position: 'attention',
      formats: ['source', 'webp', 'avif', 'jpeg'],
    };
    const outcome = await run(source, square);
    if (!outcome.ok) throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
    expect(outcome.errors).toEqual([]);
    const stem = `${source.blobName}/${versionTagFor(source.container, source.blobName, source.eTag)}/square`;
    expect(
      outcome.variants.map((variant) => [variant.format, variant.blobName, variant.contentType]),
    ).toEqual([
      ['jpeg', `${stem}.jpg`, 'image/jpeg'],
      ['webp', `${stem}.webp`, 'image/webp'],
      ['avif', `${stem}.avif`, 'image/avif'],
    ]);
    for (const variant of outcome.variants) {
      const blob = processed.getBlobClient(variant.blobName);
      const properties = await blob.getProperties();
      expect([properties.contentType, properties.contentLength, properties.etag]).toEqual([
        variant.contentType,
        variant.sizeBytes,
        variant.eTag,
      ]);
      const metadata = await sharp(await blob.downloadToBuffer()).metadata();
      expect([metadata.width, metadata.height, variant.width, variant.height]).toEqual([300, 300, 300, 300]);
    }
    expect((await derivativesOf(source)).sort()).toEqual([`${stem}.avif`, `${stem}.jpg`, `${stem}.webp`]);
  });

  it('a format whose encoder fails is an error with its format; the label keeps its other formats', async () => {
    const source = await uploadSource(photo);
    const webpFails: EncodeRaw = (pixels, encoding, quality) =>
      encoding.format === 'webp'
        ? Promise.reject(new Error('webpsave: encoder unavailable'))
        : encodeRaw(pixels, encoding, quality);
    const outcome = await run(
      source,
      { label: 'thumb', width: 150, height: 150, fit: 'inside', formats: ['source', 'webp', 'avif'] },
      deps({ render: (bytes, spec, limits) => renderRendition(bytes, spec, limits, webpFails) }),
    );
    expect(outcome).toMatchObject({
      ok: true,
      errors: [
        {
          label: 'thumb',
          format: 'webp',
          code: 'internal',
          message: 'The webp encoder failed: webpsave: encoder unavailable',
        },
      ],
    });
    expect(outcome.variants.map((variant) => variant.format)).toEqual(['jpeg', 'avif']);
    expect((await derivativesOf(source)).map((name) => name.slice(name.lastIndexOf('.')))).toEqual(
      expect.arrayContaining(['.jpg', '.avif']),
    );
    expect(await derivativesOf(source)).toHaveLength(2);
  });

  it('every format failing is an error outcome that still reports what the source is', async () => {
    const source = await uploadSource(photo);
    const nothingEncodes: EncodeRaw = (_pixels, encoding) =>
      Promise.reject(new Error(`${encoding.format} broke`));
    const outcome = await run(
      source,
      { label: 'thumb', width: 150, fit: 'inside', formats: ['webp', 'avif'] },
      deps({ render: (bytes, spec, limits) => renderRendition(bytes, spec, limits, nothingEncodes) }),
    );
    expect(outcome).toMatchObject({
      ok: false,
      variants: [],
      errors: [{ format: 'webp' }, { format: 'avif' }],
      source: { format: 'JPEG', width: 1400, height: 700 },
    });
    expect(await derivativesOf(source)).toEqual([]);
  });

  it('returns `superseded` and writes nothing when the source changed after the event', async () => {
    const source = await uploadSource(photo);
    await unprocessed
      .getBlockBlobClient(source.blobName)
      .uploadData(await makePhoto({ width: 64, height: 64, format: 'png' }));
    const outcome = await run(source, SIZES[0]!);
    expect(outcome).toMatchObject({
      ok: false,
      label: 'thumb',
      errors: [{ label: 'thumb', code: 'superseded' }],
    });
    expect(await derivativesOf(source)).toEqual([]);
  });

  it('a retry of a size whose first attempt uploaded then crashed finds its own derivative and reports it, unchanged', async () => {
    const source = await uploadSource(photo);
    const first = await run(source, SIZES[0]!);
    if (!first.ok) throw new Error(`expected ok, got ${JSON.stringify(first)}`);
    const before = await processed.getBlobClient(first.variants[0]!.blobName).getProperties();
    // The retry renders again and finds the name taken by the same source version: done, not rewritten.
    const retry = await run(source, SIZES[0]!);
    if (!retry.ok) throw new Error(`expected ok, got ${JSON.stringify(retry)}`);
    expect(retry.variants[0]!).toMatchObject({
      blobName: first.variants[0]!.blobName,
      eTag: before.etag,
      sizeBytes: before.contentLength,
      width: 150,
      height: 75,
    });
    const after = await processed.getBlobClient(first.variants[0]!.blobName).getProperties();
    expect(after.etag).toBe(before.etag);
    expect(after.lastModified).toEqual(before.lastModified);
  });

  it('a re-run of a label already stored with the same settings renders nothing and re-records the stored blobs', async () => {
    const source = await uploadSource(photo);
    const size: SizeSpec = { label: 'both', width: 300, fit: 'inside', formats: ['source', 'webp'] };
    const first = await run(source, size);
    if (!first.ok) throw new Error(`expected ok, got ${JSON.stringify(first)}`);
    let renders = 0;
    const counting: RenderFunction = (data, spec, limits) => {
      renders += 1;
      return renderRendition(data, spec, limits);
    };
    const again = await run(source, size, deps({ render: counting }));
    expect(renders).toBe(0);
    // `createdAt` is now the blob's own creation time instead of the first run's clock; the rest is the same.
    const withoutCreated = (outcome: ResizeOutcome) =>
      outcome.variants.map(({ createdAt: _createdAt, ...rest }) => rest);
    expect(again.errors).toEqual([]);
    expect(withoutCreated(again)).toEqual(withoutCreated(first));
    expect(again.source).toEqual(first.source);
  });

  it('a re-run with every format stored reads no source byte: the source deleted since still gives the stored outcome', async () => {
    const source = await uploadSource(photo);
    const size: SizeSpec = { label: 'both', width: 300, fit: 'inside', formats: ['source', 'webp'] };
    const first = await run(source, size);
    if (!first.ok) throw new Error(`expected ok, got ${JSON.stringify(first)}`);
    // Gone: any read of the source would end in `source-missing`.
    await unprocessed.deleteBlob(source.blobName);
    const lines: string[] = [];
    const again = await run(source, size, deps(), lines);
    const withoutCreated = (outcome: ResizeOutcome) =>
      outcome.variants.map(({ createdAt: _createdAt, ...rest }) => rest);
    expect(again.ok).toBe(true);
    expect(withoutCreated(again)).toEqual(withoutCreated(first));
    expect(again.source).toEqual(first.source);
    expect(lines.filter((line) => line.includes('source downloaded'))).toEqual([]);
    // Retuned: the stored blobs are kept and `rendition-changed` recorded, still without the source.
    const retuned = await run(source, { ...size, width: 200 });
    expect(retuned.errors.map((e) => [e.format, e.code])).toEqual([
      ['jpeg', 'rendition-changed'],
      ['webp', 'rendition-changed'],
    ]);
    // A format not stored needs the pixels: then the missing source is what the run reports.
    const widened = await run(source, { ...size, formats: ['source', 'webp', 'avif'] });
    expect(widened.errors.map((e) => e.code)).toEqual(['source-missing']);
  });

  it('a retuned label keeps the stored derivative of the version, records ITS real size and says the settings changed', async () => {
    const source = await uploadSource(photo);
    const before: SizeSpec = {
      label: 'sq',
      width: 300,
      height: 300,
      fit: 'cover',
      position: 'centre',
      formats: ['source', 'webp'],
    };
    const first = await run(source, before);
    if (!first.ok) throw new Error(`expected ok, got ${JSON.stringify(first)}`);
    const retuned: SizeSpec = { ...before, width: 200, height: 200, quality: 20 };
    // Decided from the stored blobs' metadata: the label is not decoded or encoded, only re-recorded.
    let renders = 0;
    const counting: RenderFunction = (data, spec, limits) => {
      renders += 1;
      return renderRendition(data, spec, limits);
    };
    const lines: string[] = [];
    const second = await run(source, retuned, deps({ render: counting }), lines);
    expect(renders).toBe(0);
    expect(lines.filter((line) => line.includes('derivative uploaded'))).toEqual([]);
    if (!second.ok) throw new Error(`expected ok, got ${JSON.stringify(second)}`);
    for (const variant of second.variants) {
      const blob = processed.getBlobClient(variant.blobName);
      const stored = await sharp(await blob.downloadToBuffer()).metadata();
      expect([variant.width, variant.height, stored.width, stored.height]).toEqual([300, 300, 300, 300]);
      const properties = await blob.getProperties();
      expect([variant.eTag, variant.sizeBytes]).toEqual([properties.etag, properties.contentLength]);
    }
    expect(second.variants.map((v) => v.eTag)).toEqual(first.variants.map((v) => v.eTag));
    expect(second.errors.map((e) => [e.format, e.code])).toEqual([
      ['jpeg', 'rendition-changed'],
      ['webp', 'rendition-changed'],
    ]);
    expect(second.errors[0]!.message).toMatch(/new label/);
  });

  it('a derivative written before its size was in metadata is measured from its header, not the render', async () => {
    const source = await uploadSource(photo);
    const v = versionTagFor(source.container, source.blobName, source.eTag);
    const legacy = processed.getBlockBlobClient(`${source.blobName}/${v}/old.jpg`);
    const bytes = await sharp({ create: { width: 320, height: 160, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    await legacy.uploadData(bytes, {
      metadata: { sourceetag: source.eTag.replace(/"/g, ''), sizelabel: 'old' },
    });
    const changed = await run(source, { label: 'old', width: 150, fit: 'inside', formats: ['source'] });
    if (!changed.ok) throw new Error(`expected ok, got ${JSON.stringify(changed)}`);
    expect([changed.variants[0]!.width, changed.variants[0]!.height]).toEqual([320, 160]);
    expect(changed.errors.map((e) => e.code)).toEqual(['rendition-changed']);
    // Same dimensions as the render: the legacy blob is this rendition, nothing to warn about.
    const same = await run(source, { label: 'old', width: 320, fit: 'inside', formats: ['source'] });
    if (!same.ok) throw new Error(`expected ok, got ${JSON.stringify(same)}`);
    expect([same.variants[0]!.width, same.variants[0]!.height, same.errors]).toEqual([320, 160, []]);
  });

  it('replaces a blob it did not write at its name (If-Match), and never touches another version', async () => {
    const source = await uploadSource(photo);
    const v = versionTagFor(source.container, source.blobName, source.eTag);
    const squatter = processed.getBlockBlobClient(`${source.blobName}/${v}/thumb.jpg`);
    await squatter.uploadData(Buffer.from('not ours'));
    const other = processed.getBlockBlobClient(`${source.blobName}/0123456789ab/thumb.jpg`);
    const otherETag = (
      await other.uploadData(Buffer.from('older version'), { metadata: { sourceetag: '0x1' } })
    ).etag;
    const outcome = await run(source, SIZES[0]!);
    if (!outcome.ok) throw new Error(`expected ok, got ${JSON.stringify(outcome)}`);
    expect(outcome.variants[0]!.blobName).toBe(squatter.name);
    const metadata = await sharp(await squatter.downloadToBuffer()).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['jpeg', 150, 75]);
    expect((await other.getProperties()).etag).toBe(otherETag);
  });

  it('returns `source-missing` when the source was deleted', async () => {
    const source = await uploadSource(photo);
    await unprocessed.deleteBlob(source.blobName);
    const outcome = await run(source, SIZES[0]!);
    expect(outcome).toMatchObject({ ok: false, errors: [{ code: 'source-missing' }] });
    expect(await derivativesOf(source)).toEqual([]);
  });

  it('refuses a page blob declaring 1 TiB as `unsupported-blob-type` from one HEAD, without reading it', async () => {
    const blobName = `users/${randomUUID()}/holiday/page.jpg`;
    const created = await unprocessed.getPageBlobClient(blobName).create(1024 ** 4);
    const source: SourceRef = {
      container: settings.unprocessedContainer,
      blobName,
      eTag: created.etag ?? '',
      sequencer: '000000000000000000000000000000010000000000000001',
      contentLength: 1024 ** 4,
      contentType: 'image/jpeg',
    };
    const outcome = await run(source, SIZES[0]!);
    expect(outcome).toMatchObject({
      ok: false,
      errors: [
        {
          code: 'unsupported-blob-type',
          message: 'The source is a PageBlob; only block blobs (Put Blob, Put Block List) are images here',
        },
      ],
    });
    expect(await derivativesOf(source)).toEqual([]);
  });

  it('returns `not-an-image` for a text file named .jpg and uploads no derivative', async () => {
    const source = await uploadSource(makeNonImage(), 'notes.jpg');
    const outcome = await run(source, SIZES[1]!);
    expect(outcome).toMatchObject({ ok: false, label: 'medium', errors: [{ code: 'not-an-image' }] });
    expect(await derivativesOf(source)).toEqual([]);
  });

  it('returns `too-large` from the response headers, before the body is read or rendered', async () => {
    const source = await uploadSource(photo);
    let renders = 0;
    const countingRender: RenderFunction = (...args) => {
      renders += 1;
      return renderRendition(...args);
    };
    const outcome = await run(
      source,
      SIZES[0]!,
      deps({
        limits: { maxSourceBytes: photo.length - 1, maxSourcePixels: 50_000_000 },
        render: countingRender,
      }),
    );
    expect(outcome).toMatchObject({
      ok: false,
      errors: [
        {
          code: 'too-large',
          message: `The source is ${photo.length} bytes; the limit is ${photo.length - 1} (MAX_SOURCE_BYTES)`,
        },
      ],
    });
    expect(renders).toBe(0);
    expect(await derivativesOf(source)).toEqual([]);
  });

  it('a source over the pixel budget is `too-many-pixels`, carrying the format and size its header declared', async () => {
    const source = await uploadSource(photo);
    const outcome = await run(
      source,
      SIZES[0]!,
      deps({ limits: { maxSourceBytes: 50 * 1024 * 1024, maxSourcePixels: 1400 * 700 - 1 } }),
    );
    expect(outcome).toMatchObject({
      ok: false,
      errors: [{ code: 'too-many-pixels' }],
      source: { format: 'JPEG', width: 1400, height: 700 },
    });
    expect(await derivativesOf(source)).toEqual([]);
  });

  it('reports a throwing renderer as a permanent `internal` outcome', async () => {
    const source = await uploadSource(photo);
    const outcome = await run(
      source,
      SIZES[0]!,
      deps({ render: () => Promise.reject(new Error('libvips bug')) }),
    );
    expect(outcome).toMatchObject({
      ok: false,
      errors: [{ code: 'internal', message: 'libvips bug' }],
    });
  });

  it('throws (so Durable retries) when the renderer ran out of memory or threads', async () => {
    const source = await uploadSource(photo);
    const exhausted = new ImageResourceError('out of memory --- size == 512MB');
    await expect(run(source, SIZES[0]!, deps({ render: () => Promise.reject(exhausted) }))).rejects.toBe(
      exhausted,
    );
    expect(await derivativesOf(source)).toEqual([]);
  });

  it('rejects a malformed input with the field named', async () => {
    const handler = createResizeHandler(() => deps());
    const source = await uploadSource(photo);
    await expect(
      handler(
        {
          source,
          size: {
            label: 'thumb',
            width: 0,
            height: 150,
            fit: 'inside',
            formats: ['source'],
          },
          instanceId: 'img-1',
        },
        context(),
      ),
    ).rejects.toThrow('Expected an integer between 1 and 16383 for input.size.width but received 0');
  });
});

describe('resize activity: transient failures throw so Durable retries', () => {
  const source: SourceRef = {
    container: 'images-unprocessed',
    blobName: 'users/1/cat.jpg',
    eTag: '"0x1"',
    sequencer: '',
    contentLength: 10,
    contentType: 'image/jpeg',
  };
  let unavailable: http.Server;

  beforeAll(async () => {
    unavailable = http.createServer((_request, response) => {
      response.writeHead(503, { 'content-type': 'application/xml', 'x-ms-error-code': 'ServerBusy' });
      response.end('<?xml version="1.0"?><Error><Code>ServerBusy</Code><Message>busy</Message></Error>');
    });
    await new Promise<void>((resolve) => unavailable.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => unavailable.close(() => resolve())));

  function clientFor(port: number): BlobServiceClient {
    const connection = loadSettings(
      testEnv({
        IMAGES_STORAGE:
          settings.images.kind === 'connectionString'
            ? settings.images.connectionString.replace(
                /BlobEndpoint=[^;]+/,
                `BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1`,
              )
            : undefined,
      }),
    ).images;
    return createBlobServiceClient(connection, { pipeline: { retryOptions: { maxTries: 1 } } });
  }

  it('throws the 503 from storage', async () => {
    const port = (unavailable.address() as AddressInfo).port;
    const call = run(source, SIZES[0]!, deps({ blobService: clientFor(port) }));
    await expect(call).rejects.toBeInstanceOf(RestError);
    await expect(call).rejects.toMatchObject({ statusCode: 503 });
  });

  it('throws a network error when storage cannot be reached', async () => {
    const closedPort = await freePort();
    await expect(run(source, SIZES[0]!, deps({ blobService: clientFor(closedPort) }))).rejects.toThrow(
      /ECONNREFUSED|connect/i,
    );
  });
});
