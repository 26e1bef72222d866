import { InvocationContext } from '@azure/functions';
import type { CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWriteImageDocumentHandler } from '../../src/activities/writeImageDocument';
import { loadSettings } from '../../src/config/settings';
import type { ResizeOutcome, SourceRef } from '../../src/domain/types';
import {
  disposeRefusedSource,
  REFUSED_TAG,
  refusesSource,
  tagRefusedSource,
} from '../../src/lifecycle/refusedSource';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { blobClientOf, currentETag } from '../../src/storage/blobs';
import { createCosmosClient, imagesContainerOf } from '../../src/storage/cosmosClient';
import { cosmosDocumentStore } from '../../src/storage/documentStore';
import { errorOutcome, okOutcome, sourceRef } from '../activities/documentFixtures';
import { testEnv } from '../support/env';

/** Blob index tags on Azurite, which implements Set/Get Blob Tags with If-Match as Azure documents them. */
const settings = loadSettings(testEnv());
const blobService = createBlobServiceClient(settings.images);
const sources = blobService.getContainerClient(settings.unprocessedContainer);
let cosmos: CosmosClient;

beforeAll(async () => {
  await sources.createIfNotExists();
  cosmos = createCosmosClient(settings.cosmos);
});
afterAll(() => cosmos.dispose());

async function uploaded(bytes = 'a 60 MB PUT on a 100-byte SAS'): Promise<SourceRef> {
  const source = sourceRef();
  const response = await sources.getBlockBlobClient(source.blobName).upload(bytes, bytes.length);
  return { ...source, eTag: response.etag ?? '' };
}

const tagsOf = async (source: SourceRef) =>
  (await blobClientOf(blobService, source.container, source.blobName).getTags()).tags;

function writer() {
  const handler = createWriteImageDocumentHandler(
    () => ({
      store: cosmosDocumentStore(imagesContainerOf(cosmos, settings.cosmos)),
      // The source as storage has it now (the writer asks before a first write too).
      currentSourceETag: ({ source }) =>
        currentETag(blobClientOf(blobService, source.container, source.blobName)),
      // The fixtures' variants name no blobs; the writer's HEAD of them is tested in droppedDerivatives.test.ts.
      derivativeState: () => Promise.resolve('present' as const),
      now: () => new Date('2026-11-29T22:00:00.000Z'),
    }),
    () => (source, outcomes) =>
      disposeRefusedSource(
        blobClientOf(blobService, source.container, source.blobName),
        source.eTag,
        outcomes,
      ),
  );
  return async (source: SourceRef, outcomes: ResizeOutcome[]): Promise<unknown> =>
    (await handler(
      { instanceId: `img-refused-${source.blobName}`, source, outcomes },
      new InvocationContext({ logHandler: () => undefined }),
    )) as unknown;
}

describe('refused sources are tagged outcome=refused for the lifecycle rule', () => {
  it.each(['too-large', 'not-an-image', 'too-many-pixels', 'corrupt-image', 'unsupported-format'] as const)(
    'a failed document for %s tags that version; its eTag and bytes stay',
    async (code) => {
      const source = await uploaded();
      const before = await sources.getBlobClient(source.blobName).getProperties();
      const outcomes = ['thumb', 'medium', 'large'].map((label) => errorOutcome(label, code));
      expect(await writer()(source, outcomes)).toMatchObject({ ok: true, status: 'failed' });
      expect(await tagsOf(source)).toEqual({ [REFUSED_TAG.name]: REFUSED_TAG.value });
      const after = await sources.getBlobClient(source.blobName).getProperties();
      // Tags are not content: no new version, so no event and no property-write hand-off.
      expect(after.etag).toBe(before.etag);
      expect(after.lastModified).toEqual(before.lastModified);
    },
  );

  it('leaves completed, partial and transient failures untagged', async () => {
    const write = writer();
    const cases: ResizeOutcome[][] = [
      [okOutcome('thumb', 150, 100)],
      [okOutcome('thumb', 150, 100), errorOutcome('large', 'internal')],
      [errorOutcome('thumb', 'internal'), errorOutcome('large', 'internal')],
      [errorOutcome('thumb', 'source-missing')],
      [errorOutcome('thumb', 'not-an-image'), errorOutcome('large', 'internal')],
    ];
    for (const outcomes of cases) {
      const source = await uploaded();
      await write(source, outcomes);
      expect(await tagsOf(source), JSON.stringify(outcomes.map((o) => o.label))).toEqual({});
    }
    expect(refusesSource([])).toBe(false);
  });

  it('never tags a newer upload at the same name', async () => {
    const old = await uploaded('old bytes');
    const newer = await sources.getBlockBlobClient(old.blobName).upload('newer', 5);
    expect(await tagRefusedSource(sources.getBlobClient(old.blobName), old.eTag)).toBe('changed');
    expect(await tagsOf({ ...old, eTag: newer.etag ?? '' })).toEqual({});
    // What an overwrite does to a tagged blob here (Put Blob replaces the blob; Azurite drops its tags).
    const tagged = await uploaded('refused');
    expect(await tagRefusedSource(sources.getBlobClient(tagged.blobName), tagged.eTag)).toBe('tagged');
    await sources.getBlockBlobClient(tagged.blobName).upload('a good photo now', 16);
    expect(await tagsOf(tagged)).toEqual({});
    await sources.getBlobClient(old.blobName).delete();
    expect(await tagRefusedSource(sources.getBlobClient(old.blobName), old.eTag)).toBe('absent');
  });
});

describe('a refused page blob is deleted, not tagged (lifecycle rules never act on page blobs)', () => {
  it('deletes that version of a page blob; a newer block blob at the name is kept', async () => {
    const source = sourceRef();
    const page = sources.getPageBlobClient(source.blobName);
    const created = await page.create(1024 * 1024 * 1024);
    // What a create-only SAS also allows: a snapshot (with metadata) of the blob it created.
    const snapshot = await page.createSnapshot({ metadata: { x: 'y' } });
    const ref = { ...source, eTag: created.etag ?? '' };
    const outcomes = ['thumb', 'large'].map((label) => errorOutcome(label, 'unsupported-blob-type'));
    expect(refusesSource(outcomes)).toBe(true);
    expect(await writer()(ref, outcomes)).toMatchObject({ ok: true, status: 'failed' });
    expect(await page.exists()).toBe(false);
    expect(await page.withSnapshot(snapshot.snapshot ?? '').exists()).toBe(false);

    const again = await sources.getPageBlobClient(source.blobName).create(512);
    const newer = await sources.getBlockBlobClient(source.blobName).upload('photo', 5);
    const blob = sources.getBlobClient(source.blobName);
    expect(await disposeRefusedSource(blob, again.etag ?? '', outcomes)).toBe('changed');
    expect((await blob.getProperties()).etag).toBe(newer.etag);
  });
});
