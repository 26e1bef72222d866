/**
 * Same-version cleanup against Azurite and the Cosmos server, through the real writer: formats dropped from a
 * label and labels neither planned nor retired leave the document and then storage; retired labels and named
 * blobs stay; and two runs of one version with different plans racing never leave a document naming a deleted
 * derivative nor delete one a written document names (the lease + document-ETag rule of docs/design.md).
 */
import type { Container, CosmosClient } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  writeImageDocumentWithGuard,
  type WriteDocumentDeps,
} from '../../src/activities/document/writeDocument';
import { assertDeleteDroppedInput } from '../../src/activities/inputs';
import { loadSettings } from '../../src/config/settings';
import { documentIdFor, versionTagFor } from '../../src/domain/ids';
import type {
  DeleteDroppedInput,
  ImageDocument,
  OutputFormat,
  ResizeOutcome,
  SourceRef,
  Variant,
  WriteDocumentInput,
} from '../../src/domain/types';
import {
  deleteDroppedDerivatives,
  derivativeState,
  isDropped,
  type DroppedDerivativeDeps,
} from '../../src/lifecycle/droppedDerivatives';
import { deleteUnusedDerivatives } from '../../src/lifecycle/unusedDerivatives';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { createCosmosClient, imagesContainerOf } from '../../src/storage/cosmosClient';
import { cosmosDocumentStore, type DocumentStore } from '../../src/storage/documentStore';
import { testEnv } from '../support/env';

const settings = loadSettings(testEnv({ DERIVATIVES_STORAGE: inject('azuriteDerivativesConnectionString') }));
const derivativeBlobService = createBlobServiceClient(settings.derivatives);
const CONTAINER = settings.unprocessedContainer;
const EXTENSION: Record<OutputFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
};
let processed: ContainerClient;
let client: CosmosClient;
let cosmos: Container;
let clock = Date.parse('2026-11-30T01:00:00.000Z');

beforeAll(async () => {
  processed = derivativeBlobService.getContainerClient(settings.processedContainer);
  await processed.createIfNotExists();
  client = createCosmosClient(settings.cosmos);
  cosmos = imagesContainerOf(client, settings.cosmos);
});
afterAll(() => client.dispose());

function newSource(): SourceRef {
  return {
    container: CONTAINER,
    blobName: `users/${randomUUID()}/cat.jpg`,
    eTag: '"0x8DC00000000C1EA"',
    sequencer: '000000000000000000000000000000a1',
    contentLength: 48_000,
    contentType: 'image/jpeg',
  };
}

const nameOf = (source: SourceRef, label: string, format: OutputFormat) =>
  `${source.blobName}/${versionTagFor(source.container, source.blobName, source.eTag)}/${label}.${EXTENSION[format]}`;

/** Uploads the derivative blob as a resize activity would, and returns its variant. */
async function stored(source: SourceRef, label: string, format: OutputFormat): Promise<Variant> {
  const blobName = nameOf(source, label, format);
  const uploaded = await processed
    .getBlockBlobClient(blobName)
    .uploadData(Buffer.from(`${label} ${format}`), { metadata: { sourceetag: source.eTag } });
  return {
    label,
    width: 150,
    height: 100,
    contentType: `image/${format}`,
    format,
    blobName,
    url: `http://127.0.0.1/images-processed/${blobName}`,
    sizeBytes: 10,
    eTag: uploaded.etag ?? '',
    lastModified: '2026-11-30T01:00:00.000Z',
    createdAt: '2026-11-30T01:00:00.000Z',
  };
}

function outcome(label: string, variants: Variant[]): ResizeOutcome {
  return {
    ok: true,
    label,
    variants,
    errors: [],
    source: { format: 'JPEG', width: 2000, height: 1500, length: 48_000, contentType: 'image/jpeg' },
  };
}

function writerDeps(
  store: DocumentStore = cosmosDocumentStore(cosmos),
  catalog?: string[],
): WriteDocumentDeps {
  return {
    store,
    // The run's version is the source as it is now.
    currentSourceETag: ({ source }) => Promise.resolve(source.eTag),
    derivativeState: (blobName) => derivativeState(processed.getBlobClient(blobName)),
    now: () => new Date((clock += 1000)),
    ...(catalog === undefined ? {} : { catalog: new Set(catalog) }),
  };
}

function write(input: WriteDocumentInput, deps: WriteDocumentDeps = writerDeps()) {
  return writeImageDocumentWithGuard(input, deps);
}

function cleanupDeps(overrides: Partial<DroppedDerivativeDeps> = {}): DroppedDerivativeDeps {
  return {
    derivativeBlobService,
    processedContainer: settings.processedContainer,
    store: cosmosDocumentStore(cosmos),
    catalog: new Set(['thumb', 'medium', 'large']),
    ...overrides,
  };
}

function cleanupInput(source: SourceRef, planned: DeleteDroppedInput['planned']): DeleteDroppedInput {
  // Through the activity's input check, as the orchestrator's JSON reaches it.
  return assertDeleteDroppedInput(JSON.parse(JSON.stringify({ source, instanceId: 'img-cleanup', planned })));
}

async function namesUnder(source: SourceRef): Promise<string[]> {
  const names: string[] = [];
  for await (const item of processed.listBlobsFlat({ prefix: `${source.blobName}/` })) names.push(item.name);
  return names.map((name) => name.slice(name.lastIndexOf('/') + 1)).sort();
}

async function documentOf(source: SourceRef): Promise<ImageDocument> {
  const entry = await cosmosDocumentStore(cosmos).read(documentIdFor(source.container, source.blobName));
  if (entry?.kind !== 'document') throw new Error('no document');
  return entry.document;
}

const namedIn = (document: ImageDocument) =>
  document.variants.map((variant) => variant.blobName.slice(variant.blobName.lastIndexOf('/') + 1)).sort();

describe('deleteDroppedDerivatives: what the plan no longer produces', () => {
  it('a format dropped from a label: the document stops naming it, then its blob is deleted; the rest stay', async () => {
    const source = newSource();
    const [jpg, webp, avif] = [
      await stored(source, 'thumb', 'jpeg'),
      await stored(source, 'thumb', 'webp'),
      await stored(source, 'thumb', 'avif'),
    ];
    const medium = await stored(source, 'medium', 'jpeg');
    await write({
      instanceId: 'img-1',
      source,
      outcomes: [outcome('thumb', [jpg, webp, avif]), outcome('medium', [medium])],
    });

    // The reprocess after `avif` left thumb's formats.
    const rewritten = await write({ instanceId: 'img-2', source, outcomes: [outcome('thumb', [jpg, webp])] });
    expect(rewritten).toMatchObject({ ok: true, status: 'completed', droppedVariants: 1 });
    expect(namedIn(await documentOf(source))).toEqual(['medium.jpg', 'thumb.jpg', 'thumb.webp']);
    expect(await namesUnder(source)).toContain('thumb.avif');

    const result = await deleteDroppedDerivatives(
      cleanupInput(source, [{ label: 'thumb', formats: ['jpeg', 'webp'] }]),
      cleanupDeps(),
    );
    expect(result.deleted).toEqual([avif.blobName]);
    expect(await namesUnder(source)).toEqual(['medium.jpg', 'thumb.jpg', 'thumb.webp']);
  });

  it('a label in neither IMAGE_SIZES nor RETIRED_SIZES leaves; a retired label and its blob stay', async () => {
    const source = newSource();
    const thumb = await stored(source, 'thumb', 'jpeg');
    const old = await stored(source, 'old', 'jpeg');
    const retired = await stored(source, 'large', 'jpeg');
    await write({
      instanceId: 'img-1',
      source,
      outcomes: [outcome('thumb', [thumb]), outcome('old', [old]), outcome('large', [retired])],
    });

    // Without the run's flag the labels it did not cover are kept, whatever the catalog.
    await write(
      { instanceId: 'img-2', source, outcomes: [outcome('thumb', [thumb])] },
      writerDeps(undefined, ['thumb']),
    );
    expect(namedIn(await documentOf(source))).toEqual(['large.jpg', 'old.jpg', 'thumb.jpg']);

    // IMAGE_SIZES is now [thumb], RETIRED_SIZES large.
    const catalog = ['thumb', 'large'];
    const rewritten = await write(
      { instanceId: 'img-3', source, outcomes: [outcome('thumb', [thumb])], dropsUnlisted: true },
      writerDeps(undefined, catalog),
    );
    expect(rewritten).toMatchObject({ ok: true, droppedVariants: 1 });
    expect(namedIn(await documentOf(source))).toEqual(['large.jpg', 'thumb.jpg']);

    const result = await deleteDroppedDerivatives(
      cleanupInput(source, [{ label: 'thumb', formats: ['jpeg'] }]),
      cleanupDeps({ catalog: new Set(catalog) }),
    );
    expect(result).toEqual({ deleted: [old.blobName], kept: 2 });
    expect(await namesUnder(source)).toEqual(['large.jpg', 'thumb.jpg']);
  });

  it('never deletes a blob the document names, nor judges a label that failed as a whole', async () => {
    const source = newSource();
    const jpg = await stored(source, 'thumb', 'jpeg');
    const avif = await stored(source, 'thumb', 'avif');
    const medium = await stored(source, 'medium', 'webp');
    // Another run (a plan with avif) wrote last: its document names thumb.avif.
    await write({ instanceId: 'img-other', source, outcomes: [outcome('thumb', [jpg, avif])] });

    const result = await deleteDroppedDerivatives(
      cleanupInput(source, [
        { label: 'thumb', formats: ['jpeg'] },
        { label: 'medium', formats: null },
      ]),
      cleanupDeps(),
    );
    expect(result).toEqual({ deleted: [], kept: 3 });
    expect(await namesUnder(source)).toEqual(['medium.webp', 'thumb.avif', 'thumb.jpg']);
    expect(medium.blobName).toContain('/medium.webp');
  });

  it("does nothing while the document is another version's, a tombstone, or missing", async () => {
    const source = newSource();
    const jpg = await stored(source, 'thumb', 'jpeg');
    const avif = await stored(source, 'thumb', 'avif');
    const planned: DeleteDroppedInput['planned'] = [{ label: 'thumb', formats: ['jpeg'] }];
    // Nothing stored yet.
    expect(await deleteDroppedDerivatives(cleanupInput(source, planned), cleanupDeps())).toEqual({
      deleted: [],
      kept: 0,
    });
    // A newer version's document.
    const newer = { ...source, eTag: '"0x8DC00000000C1EB"', sequencer: '000000000000000000000000000000b2' };
    await write({ instanceId: 'img-newer', source: newer, outcomes: [outcome('thumb', [jpg])] });
    expect(await deleteDroppedDerivatives(cleanupInput(source, planned), cleanupDeps())).toEqual({
      deleted: [],
      kept: 0,
    });
    expect(await namesUnder(source)).toEqual(['thumb.avif', 'thumb.jpg']);
    expect(avif.label).toBe('thumb');
  });
});

describe('two runs of one version with different plans, racing', () => {
  /**
   * A store that lets `between` run once: right after its first read returned (`afterRead`), or just before its
   * first replace is sent (`beforeReplace`): the other run's step lands in that window.
   */
  function interleaved(between: () => Promise<void>, at: 'afterRead' | 'beforeReplace'): DocumentStore {
    const store = cosmosDocumentStore(cosmos);
    let pending: (() => Promise<void>) | undefined = between;
    const once = async () => {
      const step = pending;
      pending = undefined;
      if (step) await step();
    };
    return {
      async read(id) {
        const entry = await store.read(id);
        if (at === 'afterRead') await once();
        return entry;
      },
      create: (item) => store.create(item),
      async replace(item, eTag) {
        if (at === 'beforeReplace') await once();
        return store.replace(item, eTag);
      },
    };
  }

  async function setUp() {
    const source = newSource();
    const jpg = await stored(source, 'thumb', 'jpeg');
    const avif = await stored(source, 'thumb', 'avif');
    // The upload's run (plan thumb: jpeg) wrote first; the reprocess (plan thumb: jpeg, avif) is in flight.
    await write({ instanceId: 'img-upload', source, outcomes: [outcome('thumb', [jpg])] });
    const reprocess: WriteDocumentInput = {
      instanceId: 'img-reprocess',
      source,
      outcomes: [outcome('thumb', [jpg, avif])],
    };
    const cleanup = cleanupInput(source, [{ label: 'thumb', formats: ['jpeg'] }]);
    return { source, avif, reprocess, cleanup };
  }

  it("the writer's write lands before the cleanup's claim: the claim fails, the named blob is kept", async () => {
    const { source, avif, reprocess, cleanup } = await setUp();
    let written: unknown;
    const result = await deleteDroppedDerivatives(
      cleanup,
      cleanupDeps({ store: interleaved(async () => void (written = await write(reprocess)), 'afterRead') }),
    );
    expect(written).toMatchObject({ ok: true, status: 'completed' });
    expect(result.deleted).toEqual([]);
    expect(namedIn(await documentOf(source))).toEqual(['thumb.avif', 'thumb.jpg']);
    expect(await derivativeState(processed.getBlobClient(avif.blobName))).toBe('present');
  });

  it('the writer writes between the lease and the claim: it leaves the leased blob out; the next round deletes it', async () => {
    const { source, avif, reprocess, cleanup } = await setUp();
    let written: unknown;
    const result = await deleteDroppedDerivatives(
      cleanup,
      cleanupDeps({
        store: interleaved(async () => void (written = await write(reprocess)), 'beforeReplace'),
      }),
    );
    expect(written).toMatchObject({ ok: true, status: 'partial' });
    expect(result.deleted).toEqual([avif.blobName]);
    expect(namedIn(await documentOf(source))).toEqual(['thumb.jpg']);
    expect(await namesUnder(source)).toEqual(['thumb.jpg']);
  });

  it('the writer writes between the claim and the delete: it sees the lease and leaves the blob out', async () => {
    const { source, avif, reprocess, cleanup } = await setUp();
    let written: unknown;
    const result = await deleteDroppedDerivatives(
      cleanup,
      cleanupDeps({ afterClaim: async () => void (written = await write(reprocess)) }),
    );
    expect(result.deleted).toEqual([avif.blobName]);
    expect(written).toMatchObject({ ok: true, status: 'partial' });
    const document = await documentOf(source);
    expect(namedIn(document)).toEqual(['thumb.jpg']);
    expect(document.errors).toEqual([
      expect.objectContaining({ label: 'thumb', format: 'avif', code: 'internal' }),
    ]);
    expect(await namesUnder(source)).toEqual(['thumb.jpg']);
  });

  it('the writer read before the claim and writes after the delete: its write fails, it re-reads and HEADs again', async () => {
    const { source, avif, reprocess, cleanup } = await setUp();
    let cleaned: { deleted: string[] } | undefined;
    const written = await write(
      reprocess,
      writerDeps(
        interleaved(
          async () => void (cleaned = await deleteDroppedDerivatives(cleanup, cleanupDeps())),
          'beforeReplace',
        ),
      ),
    );
    expect(cleaned?.deleted).toEqual([avif.blobName]);
    expect(written).toMatchObject({ ok: true, status: 'partial' });
    expect(namedIn(await documentOf(source))).toEqual(['thumb.jpg']);
    expect(await namesUnder(source)).toEqual(['thumb.jpg']);
  });

  it('a HEAD tells a claimed (leased) derivative from a free one', async () => {
    const { avif } = await setUp();
    const blob = processed.getBlobClient(avif.blobName);
    const lease = await blob.getBlobLeaseClient().acquireLease(15);
    expect(await derivativeState(blob)).toBe('leased');
    await blob.getBlobLeaseClient(lease.leaseId).releaseLease();
    expect(await derivativeState(blob)).toBe('present');
  });
});

describe('the version cleanup meets a claimed derivative', () => {
  it('throws (so a BlobDeleted is redelivered) instead of leaving it behind, and deletes it once released', async () => {
    const source = newSource(); // never uploaded: the source is gone, nothing is stored, so nothing is kept
    const jpg = await stored(source, 'thumb', 'jpeg');
    const avif = await stored(source, 'thumb', 'avif');
    const blob = processed.getBlobClient(avif.blobName);
    const lease = await blob.getBlobLeaseClient().acquireLease(15);
    const deps = {
      blobService: createBlobServiceClient(settings.images),
      derivativeBlobService,
      processedContainer: settings.processedContainer,
      store: cosmosDocumentStore(cosmos),
    };
    await expect(deleteUnusedDerivatives(source, deps)).rejects.toThrow(/leased by a concurrent cleanup/);
    await blob.getBlobLeaseClient(lease.leaseId).releaseLease();
    const second = await deleteUnusedDerivatives(source, deps);
    expect(second.deleted.sort()).toEqual([avif.blobName, jpg.blobName].sort());
    expect(await namesUnder(source)).toEqual([]);
  });
});

describe('isDropped', () => {
  const catalog = new Set(['thumb', 'large']);
  const planned: DeleteDroppedInput['planned'] = [
    { label: 'thumb', formats: ['jpeg', 'webp'] },
    { label: 'medium', formats: null },
  ];
  it.each([
    [{ label: 'thumb', extension: 'avif' }, true],
    [{ label: 'thumb', extension: 'jpg' }, false],
    [{ label: 'thumb', extension: 'webp' }, false],
    [{ label: 'medium', extension: 'avif' }, false],
    [{ label: 'large', extension: 'jpg' }, false],
    [{ label: 'old', extension: 'jpg' }, true],
  ])('%j -> %s', (derivative, dropped) => {
    expect(isDropped(derivative, planned, catalog)).toBe(dropped);
  });
});
