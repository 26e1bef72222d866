import { InvocationContext } from '@azure/functions';
import type { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { createCosmosClient, imagesContainerOf } from '../../src/storage/cosmosClient';
import { loadSettings } from '../../src/config/settings';
import { documentIdFor } from '../../src/domain/ids';
import type { ImageDocument, WriteDocumentInput } from '../../src/domain/types';
import { blobClientOf, currentETag } from '../../src/storage/blobs';
import { cosmosDocumentStore, type DocumentStore } from '../../src/storage/documentStore';
import {
  writeImageDocumentWithGuard,
  type WriteDocumentDeps,
} from '../../src/activities/document/writeDocument';
import { ArgumentError } from '../../src/domain/errors';
import { createWriteImageDocumentHandler } from '../../src/activities/writeImageDocument';
import { testEnv } from '../support/env';
import { errorOutcome, okOutcome, sourceRef } from './documentFixtures';

const settings = loadSettings(testEnv());
const blobService = createBlobServiceClient(settings.images);
const processed = blobService.getContainerClient(settings.processedContainer);
let client: CosmosClient;
let container: Container;
let clock = Date.parse('2026-11-24T05:00:00.000Z');

/**
 * By default the source has moved on to a third version since every run here: storage cannot tell which of
 * two versions is newer, so the sequencers decide (the tests of "storage decides first" name the current eTag).
 */
function deps(overrides: Partial<WriteDocumentDeps> = {}): WriteDocumentDeps {
  return {
    store: cosmosDocumentStore(container),
    currentSourceETag: () => Promise.resolve('"0xTHIRD"'),
    // The fixtures' variants name no blobs; the writer's HEAD of them is tested in droppedDerivatives.test.ts.
    derivativeState: () => Promise.resolve('present' as const),
    now: () => new Date((clock += 1000)),
    ...overrides,
  };
}

async function readDocument(input: WriteDocumentInput): Promise<ImageDocument | undefined> {
  const id = documentIdFor(input.source.container, input.source.blobName);
  const { resource } = await container.item(id, id).read<ImageDocument>();
  return resource;
}

const allSizes = [okOutcome('thumb', 150, 113), okOutcome('medium', 640, 480), okOutcome('large', 1280, 960)];

beforeAll(async () => {
  await processed.createIfNotExists();
  client = createCosmosClient(settings.cosmos);
  container = imagesContainerOf(client, settings.cosmos);
});
afterAll(() => client.dispose());

describe('writeImageDocument: document shape', () => {
  it('writes a completed document with every docs/design.md field', async () => {
    const source = sourceRef();
    const input = { instanceId: 'img-completed', source, outcomes: allSizes };
    const result = await writeImageDocumentWithGuard(input, deps());
    const id = documentIdFor(source.container, source.blobName);
    expect(result).toEqual({ ok: true, documentId: id, status: 'completed', replacedVersion: false });

    const document = await readDocument(input);
    expect(document).toMatchObject({
      id,
      sourceContainer: 'images-unprocessed',
      sourceBlobName: source.blobName,
      sourceLength: 48_000,
      sourceFormat: 'JPEG',
      sourceContentType: 'image/jpeg',
      sourceWidth: 2000,
      sourceHeight: 1500,
      sourceETag: '0x8DC0000000000A1',
      sourceSequencer: source.sequencer,
      instanceId: 'img-completed',
      status: 'completed',
      errors: [],
    });
    expect(document?.variants.map((variant) => [variant.label, variant.width, variant.height])).toEqual([
      ['large', 1280, 960],
      ['medium', 640, 480],
      ['thumb', 150, 113],
    ]);
    expect(document?.variants[0]).toEqual(allSizes[2]?.ok ? allSizes[2].variants[0] : undefined);
    expect(document?.createdAt).toBe(document?.updatedAt);
    expect(Date.parse(document?.createdAt ?? '')).toBe(clock);
  });

  it('writes a partial document with the failing size in errors[]', async () => {
    const input = {
      instanceId: 'img-partial',
      source: sourceRef(),
      outcomes: [okOutcome('thumb', 150, 113), errorOutcome('large', 'too-many-pixels', 'over the limit')],
    };
    expect(await writeImageDocumentWithGuard(input, deps())).toMatchObject({
      ok: true,
      status: 'partial',
    });
    const document = await readDocument(input);
    expect(document?.status).toBe('partial');
    expect(document?.variants.map((variant) => variant.label)).toEqual(['thumb']);
    expect(document?.errors).toEqual([
      { label: 'large', code: 'too-many-pixels', message: 'over the limit' },
    ]);
  });

  it('writes a failed document with null source dimensions when no size succeeded', async () => {
    const source = sourceRef({ contentType: 'text/plain', contentLength: 12 });
    const input = {
      instanceId: 'img-failed',
      source,
      outcomes: [errorOutcome('thumb', 'not-an-image'), errorOutcome('medium', 'not-an-image')],
    };
    expect(await writeImageDocumentWithGuard(input, deps())).toMatchObject({
      ok: true,
      status: 'failed',
    });
    const document = await readDocument(input);
    expect(document).toMatchObject({
      status: 'failed',
      sourceFormat: null,
      sourceWidth: null,
      sourceHeight: null,
      sourceLength: 12,
      sourceContentType: 'text/plain',
      variants: [],
      errors: [
        { label: 'medium', code: 'not-an-image', message: 'not-an-image for medium' },
        { label: 'thumb', code: 'not-an-image', message: 'not-an-image for thumb' },
      ],
    });
  });
});

describe('writeImageDocument: stale-write guard', () => {
  const older = { eTag: '"0xOLD"', sequencer: '0000000000000000000000000001000000000000000000aa' };
  const newer = { eTag: '"0xNEW"', sequencer: '0000000000000000000000000002000000000000000000aa' };

  it('never lets an older version overwrite a newer one (newer written first)', async () => {
    const path = sourceRef();
    const newInput = { instanceId: 'img-new', source: { ...path, ...newer }, outcomes: allSizes };
    const oldInput = { instanceId: 'img-old', source: { ...path, ...older }, outcomes: allSizes };
    expect(await writeImageDocumentWithGuard(newInput, deps())).toMatchObject({ ok: true });
    expect(await writeImageDocumentWithGuard(oldInput, deps())).toMatchObject({
      ok: false,
      reason: 'stale',
    });
    expect(await readDocument(newInput)).toMatchObject({ sourceETag: '0xNEW', instanceId: 'img-new' });
  });

  it('lets a newer version replace an older one, keeping createdAt', async () => {
    const path = sourceRef();
    const oldInput = { instanceId: 'img-old', source: { ...path, ...older }, outcomes: allSizes };
    const newInput = {
      instanceId: 'img-new',
      source: { ...path, ...newer },
      outcomes: [okOutcome('thumb', 100, 150)],
    };
    await writeImageDocumentWithGuard(oldInput, deps());
    const first = await readDocument(oldInput);
    expect(await writeImageDocumentWithGuard(newInput, deps())).toMatchObject({ ok: true });
    const second = await readDocument(newInput);
    expect(second).toMatchObject({
      sourceETag: '0xNEW',
      sourceSequencer: newer.sequencer,
      instanceId: 'img-new',
    });
    // A new version is described from scratch: the old version's medium/large are not carried over.
    expect(second?.variants.map((variant) => variant.label)).toEqual(['thumb']);
    expect(second?.createdAt).toBe(first?.createdAt);
    expect(second?.updatedAt).not.toBe(first?.updatedAt);
  });

  it('merges a single-size re-run of the same version and recomputes the status', async () => {
    const source = sourceRef();
    const firstRun = {
      instanceId: 'img-first',
      source,
      outcomes: [
        okOutcome('thumb', 150, 113),
        errorOutcome('medium', 'internal'),
        okOutcome('large', 1280, 960),
      ],
    };
    await writeImageDocumentWithGuard(firstRun, deps());
    expect((await readDocument(firstRun))?.status).toBe('partial');

    // A reprocess of one size does not know its event: empty sequencer, same eTag.
    const rerun = {
      instanceId: 'img-rerun',
      source: { ...source, sequencer: '' },
      outcomes: [okOutcome('medium', 640, 480, '"0xmedium02"')],
    };
    expect(await writeImageDocumentWithGuard(rerun, deps())).toMatchObject({
      ok: true,
      status: 'completed',
    });
    const merged = await readDocument(firstRun);
    expect(merged?.variants.map((variant) => [variant.label, variant.eTag])).toEqual([
      ['large', '"0xlarge01"'],
      ['medium', '"0xmedium02"'],
      ['thumb', '"0xthumb01"'],
    ]);
    expect(merged).toMatchObject({ status: 'completed', errors: [], instanceId: 'img-rerun' });
    // The known sequencer is kept, so a later, older event is still recognised as stale.
    expect(merged?.sourceSequencer).toBe(source.sequencer);
  });

  it('writes nothing when any size was superseded by a newer upload', async () => {
    const source = sourceRef();
    const input = {
      instanceId: 'img-superseded',
      source,
      outcomes: [okOutcome('thumb', 150, 113), errorOutcome('medium', 'superseded')],
    };
    expect(await writeImageDocumentWithGuard(input, deps())).toEqual({
      ok: false,
      documentId: documentIdFor(source.container, source.blobName),
      reason: 'superseded',
    });
    expect(await readDocument(input)).toBeUndefined();
  });

  describe('a reprocess with an unknown event order (empty sequencer)', () => {
    const blobs = blobService.getContainerClient('images-unprocessed');

    beforeAll(async () => {
      await blobs.createIfNotExists();
    });

    it('replaces a different version only while the blob still is the version it processed', async () => {
      const path = sourceRef();
      const uploaded = await blobs.getBlockBlobClient(path.blobName).upload('v2', 2);
      const liveETag = uploaded.etag ?? '';
      const headDeps = deps({
        currentSourceETag: ({ source }) =>
          currentETag(blobClientOf(blobService, source.container, source.blobName)),
      });
      await writeImageDocumentWithGuard(
        { instanceId: 'img-v1', source: { ...path, ...older }, outcomes: allSizes },
        headDeps,
      );

      const staleReprocess = {
        instanceId: 'img-reprocess-old',
        source: { ...path, eTag: '"0xGONE"', sequencer: '' },
        outcomes: allSizes,
      };
      expect(await writeImageDocumentWithGuard(staleReprocess, headDeps)).toMatchObject({ reason: 'stale' });

      const liveReprocess = {
        instanceId: 'img-reprocess-live',
        source: { ...path, eTag: liveETag, sequencer: '' },
        outcomes: allSizes,
      };
      expect(await writeImageDocumentWithGuard(liveReprocess, headDeps)).toMatchObject({ ok: true });
      expect(await readDocument(liveReprocess)).toMatchObject({ instanceId: 'img-reprocess-live' });
    });

    it('a late event of an older version does not replace what a reprocess of the live version wrote', async () => {
      const path = sourceRef();
      const uploaded = await blobs.getBlockBlobClient(path.blobName).upload('live', 4);
      const headDeps = deps({
        currentSourceETag: ({ source }) =>
          currentETag(blobClientOf(blobService, source.container, source.blobName)),
      });
      const reprocess = {
        instanceId: 'img-reprocess',
        source: { ...path, eTag: uploaded.etag ?? '', sequencer: '' },
        outcomes: allSizes,
      };
      expect(await writeImageDocumentWithGuard(reprocess, headDeps)).toMatchObject({ ok: true });
      const lateOldEvent = { instanceId: 'img-late', source: { ...path, ...older }, outcomes: allSizes };
      expect(await writeImageDocumentWithGuard(lateOldEvent, headDeps)).toMatchObject({
        ok: false,
        reason: 'stale',
      });
      expect(await readDocument(reprocess)).toMatchObject({
        instanceId: 'img-reprocess',
        sourceSequencer: '',
      });
    });

    it('writes when no document exists yet', async () => {
      const input = { instanceId: 'img-fresh', source: sourceRef({ sequencer: '' }), outcomes: allSizes };
      expect(await writeImageDocumentWithGuard(input, deps())).toMatchObject({ ok: true });
    });

    it('writes no first document for a source that does not exist (a forged BlobCreated, or deleted before the run)', async () => {
      const missing = errorOutcome('thumb', 'source-missing');
      for (const outcomes of [[missing], allSizes]) {
        const input = { instanceId: 'img-ghost', source: sourceRef(), outcomes };
        let heads = 0;
        const gone = deps({
          currentSourceETag: () => {
            heads += 1;
            return Promise.resolve(undefined);
          },
        });
        expect(await writeImageDocumentWithGuard(input, gone)).toEqual({
          ok: false,
          documentId: documentIdFor(input.source.container, input.source.blobName),
          reason: 'deleted',
        });
        expect(heads).toBe(1);
        expect(await readDocument(input)).toBeUndefined();
      }
    });
  });
});

describe('writeImageDocument: storage decides before sequencers', () => {
  const forged = { eTag: '"0xMETA"', sequencer: 'f'.repeat(32) };
  const real = { eTag: '"0xREUPLOAD"', sequencer: '0000000000000000000000000000000000000000000000b0' };
  const current = (eTag: string | undefined) => deps({ currentSourceETag: () => Promise.resolve(eTag) });

  it('the current version replaces a document whose forged max sequencer storage contradicts', async () => {
    const path = sourceRef();
    const forgedRun = { instanceId: 'img-forged', source: { ...path, ...forged }, outcomes: allSizes };
    // The forged event named the blob's current eTag (after a metadata write), so its run wrote.
    expect(await writeImageDocumentWithGuard(forgedRun, current(forged.eTag))).toMatchObject({ ok: true });
    const upload = { instanceId: 'img-real', source: { ...path, ...real }, outcomes: allSizes };
    expect(await writeImageDocumentWithGuard(upload, current(real.eTag))).toMatchObject({
      ok: true,
      replacedVersion: true,
    });
    expect(await readDocument(upload)).toMatchObject({
      sourceETag: '0xREUPLOAD',
      sourceSequencer: real.sequencer,
      instanceId: 'img-real',
    });
  });

  it('a run with a later sequencer never replaces the document of the blob as it is now', async () => {
    const path = sourceRef();
    const live = { instanceId: 'img-live', source: { ...path, ...real }, outcomes: allSizes };
    await writeImageDocumentWithGuard(live, current(real.eTag));
    const late = { instanceId: 'img-forged', source: { ...path, ...forged }, outcomes: allSizes };
    expect(await writeImageDocumentWithGuard(late, current(real.eTag))).toMatchObject({
      ok: false,
      reason: 'stale',
    });
    expect(await readDocument(live)).toMatchObject({ sourceETag: '0xREUPLOAD', instanceId: 'img-live' });
  });

  it('writes nothing for a source that is gone, whatever its sequencer', async () => {
    const path = sourceRef();
    await writeImageDocumentWithGuard(
      { instanceId: 'img-live', source: { ...path, ...real }, outcomes: allSizes },
      current(real.eTag),
    );
    const late = { instanceId: 'img-forged', source: { ...path, ...forged }, outcomes: allSizes };
    expect(await writeImageDocumentWithGuard(late, current(undefined))).toMatchObject({
      ok: false,
      reason: 'deleted',
    });
  });
});

describe('writeImageDocument: replaced versions and deleted sources', () => {
  const older = { eTag: '"0xA"', sequencer: '0000000000000000000000000001000000000000000000aa' };
  const deleteSequencer = '0000000000000000000000000002000000000000000000aa';
  const newer = { eTag: '"0xB"', sequencer: '0000000000000000000000000003000000000000000000aa' };

  function tombstoneFor(path: { container: string; blobName: string }, sourceSequencer: string) {
    return {
      id: documentIdFor(path.container, path.blobName),
      deleted: true as const,
      sourceSequencer,
      deletedAt: '2026-11-24T05:00:00.000Z',
      ttl: 60,
    };
  }

  it('tells the orchestration when it replaced another version (its derivatives become unused), and only then', async () => {
    const path = sourceRef();
    const first = { instanceId: 'img-a', source: { ...path, ...older }, outcomes: allSizes };
    expect(await writeImageDocumentWithGuard(first, deps())).toMatchObject({ replacedVersion: false });
    expect(await writeImageDocumentWithGuard({ ...first, instanceId: 'img-a2' }, deps())).toMatchObject({
      replacedVersion: false,
    });
    const second = { instanceId: 'img-b', source: { ...path, ...newer }, outcomes: allSizes };
    expect(await writeImageDocumentWithGuard(second, deps())).toMatchObject({
      ok: true,
      replacedVersion: true,
    });
  });

  it('writes nothing over the tombstone of a later delete (a run that was in flight when the source was deleted)', async () => {
    const path = sourceRef();
    expect(await cosmosDocumentStore(container).create(tombstoneFor(path, deleteSequencer))).toBe('written');
    const late = { instanceId: 'img-a', source: { ...path, ...older }, outcomes: allSizes };
    expect(await writeImageDocumentWithGuard(late, deps())).toEqual({
      ok: false,
      documentId: documentIdFor(path.container, path.blobName),
      reason: 'deleted',
    });
    const id = documentIdFor(path.container, path.blobName);
    const { resource } = await container.item(id, id).read<Record<string, unknown>>();
    expect(resource).toMatchObject({ deleted: true, sourceSequencer: deleteSequencer });
    expect(resource?.sourceBlobName).toBeUndefined();
  });

  it('lets a version uploaded after the delete replace the tombstone', async () => {
    const path = sourceRef();
    await cosmosDocumentStore(container).create(tombstoneFor(path, deleteSequencer));
    const reupload = { instanceId: 'img-b', source: { ...path, ...newer }, outcomes: allSizes };
    expect(await writeImageDocumentWithGuard(reupload, deps())).toMatchObject({
      ok: true,
      status: 'completed',
      replacedVersion: false,
    });
    expect(await readDocument(reupload)).toMatchObject({ sourceETag: '0xB', status: 'completed' });
  });

  it('a run of unknown order writes over a tombstone only while the blob is its version', async () => {
    const path = sourceRef();
    await cosmosDocumentStore(container).create(tombstoneFor(path, deleteSequencer));
    const reprocess = {
      instanceId: 'img-r',
      source: { ...path, eTag: '"0xR"', sequencer: '' },
      outcomes: allSizes,
    };
    const gone = deps({ currentSourceETag: () => Promise.resolve(undefined) });
    expect(await writeImageDocumentWithGuard(reprocess, gone)).toMatchObject({
      ok: false,
      reason: 'deleted',
    });
    const isR = deps({ currentSourceETag: () => Promise.resolve('"0xR"') });
    expect(await writeImageDocumentWithGuard(reprocess, isR)).toMatchObject({ ok: true });
  });
});

describe('writeImageDocument: optimistic concurrency', () => {
  it('re-reads and merges when another writer changes the document between read and replace (412)', async () => {
    const source = sourceRef();
    await writeImageDocumentWithGuard({ instanceId: 'img-1', source, outcomes: allSizes }, deps());

    const real = cosmosDocumentStore(container);
    let replaceCalls = 0;
    const racing: DocumentStore = {
      read: (id) => real.read(id),
      create: (document) => real.create(document),
      replace: async (document, eTag) => {
        replaceCalls += 1;
        if (replaceCalls === 1) {
          // A concurrent re-run of `large` lands after our read, changing the document's _etag.
          await writeImageDocumentWithGuard(
            {
              instanceId: 'img-2',
              source,
              outcomes: [okOutcome('large', 1280, 960, '"0xlarge-concurrent"')],
            },
            deps(),
          );
        }
        return real.replace(document, eTag);
      },
    };
    const result = await writeImageDocumentWithGuard(
      { instanceId: 'img-3', source, outcomes: [okOutcome('thumb', 150, 113, '"0xthumb-ours"')] },
      deps({ store: racing }),
    );
    expect(result).toMatchObject({ ok: true, status: 'completed' });
    expect(replaceCalls).toBe(2);
    const document = await readDocument({ instanceId: 'img-3', source, outcomes: [] });
    // Both writers' work survives: the concurrent large and our thumb.
    expect(document?.variants.map((variant) => [variant.label, variant.eTag])).toEqual([
      ['large', '"0xlarge-concurrent"'],
      ['medium', '"0xmedium01"'],
      ['thumb', '"0xthumb-ours"'],
    ]);
  });

  it('re-decides after losing a create race (409) and honours the winner being newer', async () => {
    const path = sourceRef();
    const real = cosmosDocumentStore(container);
    let createCalls = 0;
    const racing: DocumentStore = {
      read: (id) => real.read(id),
      replace: (document, eTag) => real.replace(document, eTag),
      create: async (document) => {
        createCalls += 1;
        if (createCalls === 1) {
          await writeImageDocumentWithGuard(
            {
              instanceId: 'img-newer',
              source: {
                ...path,
                eTag: '"0xNEWER"',
                sequencer: '0000000000000000000000000009000000000000000000aa',
              },
              outcomes: allSizes,
            },
            deps(),
          );
        }
        return real.create(document);
      },
    };
    const result = await writeImageDocumentWithGuard(
      { instanceId: 'img-older', source: path, outcomes: allSizes },
      deps({ store: racing }),
    );
    expect(result).toMatchObject({ ok: false, reason: 'stale' });
    expect(createCalls).toBe(1);
    expect(await readDocument({ instanceId: '', source: path, outcomes: [] })).toMatchObject({
      sourceETag: '0xNEWER',
    });
  });

  it('gives up with an error after the bounded number of attempts, so Durable retries the activity', async () => {
    const source = sourceRef();
    const alwaysConflicting: DocumentStore = {
      read: () => Promise.resolve(undefined),
      create: () => Promise.resolve('conflict'),
      replace: () => Promise.resolve('conflict'),
    };
    await expect(
      writeImageDocumentWithGuard(
        { instanceId: 'img-x', source, outcomes: allSizes },
        deps({ store: alwaysConflicting, maxAttempts: 3 }),
      ),
    ).rejects.toThrow(/gave up after 3 conditional writes/);
  });
});

describe('writeImageDocument activity handler', () => {
  it('logs the blob name and instance id on every line and returns the result', async () => {
    const lines: string[] = [];
    const context = new InvocationContext({
      functionName: 'writeImageDocument',
      logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
    });
    const source = sourceRef();
    const handler = createWriteImageDocumentHandler(() => deps());
    const result = await handler({ instanceId: 'img-handler', source, outcomes: allSizes }, context);
    expect(result).toMatchObject({ ok: true, status: 'completed' });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({ blobName: source.blobName, instanceId: 'img-handler' });
    }
  });

  it('rejects a malformed input with the field named', async () => {
    const handler = createWriteImageDocumentHandler(() => deps());
    const context = new InvocationContext({ logHandler: () => undefined });
    const call = handler(
      { instanceId: 'img-bad', source: sourceRef({ blobName: '' }), outcomes: [] },
      context,
    );
    await expect(call).rejects.toThrow(ArgumentError);
    await expect(call).rejects.toThrow(
      'Expected a non-empty string for input.source.blobName but received ""',
    );
  });
});
