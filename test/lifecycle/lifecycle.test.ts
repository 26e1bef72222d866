import type { Container, CosmosClient } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { assertHandOffInput, assertSourcePath } from '../../src/activities/inputs';
import { loadSettings } from '../../src/config/settings';
import { documentIdFor, instanceIdFor, versionTagFor } from '../../src/domain/ids';
import { newRunInput } from '../../src/domain/runInput';
import type { ImageDocument, ResizeOrchestrationInput } from '../../src/domain/types';
import { handOffToCurrentVersion } from '../../src/lifecycle/handOff';
import { removeDeletedSource } from '../../src/lifecycle/removeDeletedSource';
import { deleteUnusedDerivatives, isUnused } from '../../src/lifecycle/unusedDerivatives';
import { createBlobServiceClient } from '../../src/storage/blobServiceClient';
import { createCosmosClient, imagesContainerOf } from '../../src/storage/cosmosClient';
import { cosmosDocumentStore, readImageDocument } from '../../src/storage/documentStore';
import { testEnv } from '../support/env';
import { startDurableApiStub, type DurableApiStub } from '../triggers/support/durableApiStub';

const settings = loadSettings(testEnv({ DERIVATIVES_STORAGE: inject('azuriteDerivativesConnectionString') }));
const blobService = createBlobServiceClient(settings.images);
// The second Azurite account: derivatives are listed and deleted there, never in the images account.
const derivativeBlobService = createBlobServiceClient(settings.derivatives);
const CONTAINER = settings.unprocessedContainer;
let unprocessed: ContainerClient;
let processed: ContainerClient;
let client: CosmosClient;
let cosmos: Container;

const seq = (n: number) => n.toString(16).padStart(32, '0');

beforeAll(async () => {
  unprocessed = blobService.getContainerClient(CONTAINER);
  processed = derivativeBlobService.getContainerClient(settings.processedContainer);
  await unprocessed.createIfNotExists();
  await processed.createIfNotExists();
  client = createCosmosClient(settings.cosmos);
  cosmos = imagesContainerOf(client, settings.cosmos);
});
afterAll(() => client.dispose());

function deps() {
  return {
    blobService,
    derivativeBlobService,
    processedContainer: settings.processedContainer,
    store: cosmosDocumentStore(cosmos),
    now: () => new Date('2026-11-29T20:00:00.000Z'),
  };
}

/** A derivative of `eTag`'s version as the resize activity writes it (name and metadata). */
async function derivative(
  blobName: string,
  eTag: string,
  sequencer: string,
  label = 'thumb',
): Promise<string> {
  const name = `${blobName}/${versionTagFor(CONTAINER, blobName, eTag)}/${label}.jpg`;
  await processed.getBlockBlobClient(name).uploadData(Buffer.from(`${eTag} ${label}`), {
    metadata: { sourceetag: eTag, sourcesequencer: sequencer },
  });
  return name;
}

async function namesUnder(blobName: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of processed.listBlobsFlat({ prefix: `${blobName}/` })) names.push(item.name);
  return names.sort();
}

async function documentOf(blobName: string, eTag: string, sequencer: string): Promise<void> {
  const document: ImageDocument = {
    id: documentIdFor(CONTAINER, blobName),
    sourceContainer: CONTAINER,
    sourceBlobName: blobName,
    sourceLength: 1,
    sourceFormat: 'JPEG',
    sourceContentType: 'image/jpeg',
    sourceWidth: 1,
    sourceHeight: 1,
    sourceETag: eTag,
    sourceSequencer: sequencer,
    instanceId: instanceIdFor(CONTAINER, blobName, eTag),
    status: 'completed',
    createdAt: '2026-11-29T20:00:00.000Z',
    updatedAt: '2026-11-29T20:00:00.000Z',
    variants: [],
    errors: [],
  };
  expect(await cosmosDocumentStore(cosmos).create(document)).toBe('written');
}

describe('isUnused', () => {
  const stored = { versionTag: 'aaaaaaaaaaaa', sequencer: seq(5) };
  it.each([
    ['the stored version', { versionTag: 'aaaaaaaaaaaa', sequencer: seq(1) }, false],
    ['the source as it is now', { versionTag: 'cccccccccccc', sequencer: seq(1) }, false],
    ['a newer run still in flight', { versionTag: 'bbbbbbbbbbbb', sequencer: seq(6) }, false],
    ['an older version', { versionTag: 'bbbbbbbbbbbb', sequencer: seq(4) }, true],
    [
      'a sibling with the same event sequencer (a hand-off)',
      { versionTag: 'bbbbbbbbbbbb', sequencer: seq(5) },
      true,
    ],
    [
      'a reprocess of unknown order that is not the source',
      { versionTag: 'bbbbbbbbbbbb', sequencer: '' },
      true,
    ],
  ])('%s: %s', (_case, derivativeVersion, unused) => {
    expect(isUnused(derivativeVersion, stored, 'cccccccccccc')).toBe(unused);
  });

  it('once the source is gone, keeps only the stored version: no run may write, whatever its sequencer', () => {
    expect(isUnused({ versionTag: 'aaaaaaaaaaaa', sequencer: seq(1) }, stored, undefined)).toBe(false);
    expect(isUnused({ versionTag: 'bbbbbbbbbbbb', sequencer: 'f'.repeat(32) }, stored, undefined)).toBe(true);
  });

  it('while the document is the source as it is now, a later sequencer keeps nothing', () => {
    expect(isUnused({ versionTag: 'bbbbbbbbbbbb', sequencer: 'f'.repeat(32) }, stored, 'aaaaaaaaaaaa')).toBe(
      true,
    );
  });
});

describe('deleteUnusedDerivatives against Azurite and Cosmos', () => {
  it('deletes replaced versions and orphans, keeps the document version, the current source and newer runs', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    const current =
      (await unprocessed.getBlockBlobClient(blobName).uploadData(Buffer.from('jpeg'))).etag ?? '';
    await documentOf(blobName, '0xB', seq(5));
    const replaced = await derivative(blobName, '0xA', seq(3));
    const orphan = await derivative(blobName, '0xLOST', seq(4), 'medium');
    const documented = await derivative(blobName, '0xB', seq(5));
    const inFlight = await derivative(blobName, '0xC', seq(9));
    const ofCurrent = await derivative(blobName, current, seq(5));
    // A source nested under this one's name: its derivatives share the prefix and must stay.
    const nested = await derivative(`${blobName}/inner.jpg`, '0xA', seq(1));

    const result = await deleteUnusedDerivatives({ container: CONTAINER, blobName }, deps());
    expect(result.deleted.sort()).toEqual([orphan, replaced].sort());
    expect(await namesUnder(blobName)).toEqual([documented, inFlight, nested, ofCurrent].sort());
    // Idempotent: a second pass deletes nothing more.
    expect((await deleteUnusedDerivatives({ container: CONTAINER, blobName }, deps())).deleted).toEqual([]);
  });

  it('deletes nothing when nothing is stored for the path while the source exists (its run may be writing)', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    await unprocessed.getBlockBlobClient(blobName).uploadData(Buffer.from('jpeg'));
    const name = await derivative(blobName, '0xA', seq(1));
    expect((await deleteUnusedDerivatives({ container: CONTAINER, blobName }, deps())).deleted).toEqual([]);
    expect(await namesUnder(blobName)).toEqual([name]);
  });

  it('with nothing stored and the source gone, deletes every version (a run that lost to a delete before its first write)', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    const names = [
      await derivative(blobName, '0xA', seq(1)),
      await derivative(blobName, '0xB', 'f'.repeat(32)),
    ];
    const result = await deleteUnusedDerivatives({ container: CONTAINER, blobName }, deps());
    expect(result.deleted.sort()).toEqual(names.sort());
    expect(await namesUnder(blobName)).toEqual([]);
  });
});

describe('removeDeletedSource against Azurite and Cosmos', () => {
  it('tombstones the document and deletes the derivatives of every version; GET-style reads see no document', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    await documentOf(blobName, '0xB', seq(5));
    await derivative(blobName, '0xA', seq(3));
    await derivative(blobName, '0xB', seq(5));
    await derivative(blobName, '0xB', seq(5), 'large');

    const result = await removeDeletedSource({ container: CONTAINER, blobName, sequencer: seq(6) }, deps());
    expect(result).toMatchObject({ ok: true, derivatives: { kept: 0 } });
    expect(await namesUnder(blobName)).toEqual([]);
    const id = documentIdFor(CONTAINER, blobName);
    expect(await readImageDocument(cosmosDocumentStore(cosmos), id)).toBeUndefined();
    const { resource } = await cosmos.item(id, id).read<Record<string, unknown>>();
    expect(resource).toMatchObject({ id, deleted: true, sourceSequencer: seq(6), ttl: 604800 });
    expect(
      Object.keys(resource ?? {})
        .filter((key) => !key.startsWith('_'))
        .sort(),
    ).toEqual(['deleted', 'deletedAt', 'id', 'sourceSequencer', 'ttl'].sort());
  });

  it('changes nothing for a delete older than the document while another version exists (storage cannot order them)', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    await unprocessed.getBlockBlobClient(blobName).uploadData(Buffer.from('a third version'));
    await documentOf(blobName, '0xB', seq(5));
    const kept = await derivative(blobName, '0xB', seq(5));
    expect(await removeDeletedSource({ container: CONTAINER, blobName, sequencer: seq(4) }, deps())).toEqual({
      ok: false,
      reason: 'older',
    });
    expect(await namesUnder(blobName)).toEqual([kept]);
    expect(
      await readImageDocument(cosmosDocumentStore(cosmos), documentIdFor(CONTAINER, blobName)),
    ).toMatchObject({
      sourceETag: '0xB',
    });
  });

  it('keeps the document of a blob uploaded again after the delete (it is the blob as it is now)', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    const eTag = (await unprocessed.getBlockBlobClient(blobName).uploadData(Buffer.from('again'))).etag ?? '';
    // The document of the re-upload may carry an understated sequencer (a hand-off's lower bound).
    await documentOf(blobName, eTag.replace(/"/g, ''), seq(2));
    const kept = await derivative(blobName, eTag.replace(/"/g, ''), seq(2));
    expect(await removeDeletedSource({ container: CONTAINER, blobName, sequencer: seq(3) }, deps())).toEqual({
      ok: false,
      reason: 'older',
    });
    expect(await namesUnder(blobName)).toEqual([kept]);
  });

  it('a forged max-sequencer document of the then-current eTag does not outlive the real delete', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    const blob = unprocessed.getBlockBlobClient(blobName);
    await blob.uploadData(Buffer.from('jpeg'));
    // A metadata write gives the blob a new eTag with no event; a forged event names it with the max sequencer.
    const current = ((await blob.setMetadata({ origin: 'sftp' })).etag ?? '').replace(/"/g, '');
    await documentOf(blobName, current, 'f'.repeat(32));
    await derivative(blobName, current, 'f'.repeat(32));
    await derivative(blobName, current, 'f'.repeat(32), 'large');
    await blob.delete();

    const result = await removeDeletedSource({ container: CONTAINER, blobName, sequencer: seq(2) }, deps());
    expect(result).toMatchObject({ ok: true, derivatives: { kept: 0 } });
    expect(await namesUnder(blobName)).toEqual([]);
    const id = documentIdFor(CONTAINER, blobName);
    expect(await readImageDocument(cosmosDocumentStore(cosmos), id)).toBeUndefined();
    // The tombstone records the real delete, not the forged sequencer the source contradicted.
    const { resource } = await cosmos.item(id, id).read<Record<string, unknown>>();
    expect(resource).toMatchObject({ deleted: true, sourceSequencer: seq(2) });
  });

  it('a delete with the source gone applies even when older than the document (the later delete is on its way)', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    await documentOf(blobName, '0xB', seq(5));
    await derivative(blobName, '0xB', seq(5));
    expect(
      await removeDeletedSource({ container: CONTAINER, blobName, sequencer: seq(4) }, deps()),
    ).toMatchObject({ ok: true });
    expect(await namesUnder(blobName)).toEqual([]);
  });

  it('a delete before any document still leaves a tombstone, and a later older delete is ignored', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    await derivative(blobName, '0xA', seq(1));
    expect(
      await removeDeletedSource({ container: CONTAINER, blobName, sequencer: seq(2) }, deps()),
    ).toMatchObject({
      ok: true,
    });
    expect(await namesUnder(blobName)).toEqual([]);
    expect(await removeDeletedSource({ container: CONTAINER, blobName, sequencer: seq(1) }, deps())).toEqual({
      ok: false,
      reason: 'older',
    });
  });
});

describe('handOffToCurrentVersion', () => {
  let stub: DurableApiStub;
  beforeAll(async () => {
    stub = await startDurableApiStub();
  });
  afterAll(() => stub.stop());

  function orchestration(blobName: string, eTag: string): ResizeOrchestrationInput {
    return {
      source: {
        container: CONTAINER,
        blobName,
        eTag,
        sequencer: seq(7),
        contentLength: 5,
        contentType: 'image/jpeg',
      },
      sizes: settings.sizes,
      replacedGraceSeconds: 30,
    };
  }

  it('starts the instance of the current eTag once, with the event sequencer and the same plans', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    const blob = unprocessed.getBlockBlobClient(blobName);
    const first = (await blob.uploadData(Buffer.from('jpeg'))).etag ?? '';
    const after = (await blob.setMetadata({ origin: 'sftp' })).etag ?? '';
    const input = { orchestration: orchestration(blobName, first) };
    const instanceId = instanceIdFor(CONTAINER, blobName, after);

    const result = await handOffToCurrentVersion(input, { blobService, client: stub.client() });
    expect(result).toEqual({ ok: true, instanceId, started: true });
    // The old run's plans (it predates the flags) with the current source, built by the one builder: the new
    // instance gets every flag of a new run, whatever the handing-off instance had.
    const { sizes, replacedGraceSeconds } = input.orchestration;
    expect(stub.instances.get(instanceId)?.input).toEqual(
      newRunInput(
        {
          ...input.orchestration.source,
          eTag: after,
          contentLength: 4,
          contentType: 'application/octet-stream',
        },
        { sizes, replacedGraceSeconds },
      ),
    );
    // A second hand-off, or the current version's own event, finds the instance and starts nothing.
    expect(await handOffToCurrentVersion(input, { blobService, client: stub.client() })).toEqual({
      ok: true,
      instanceId,
      started: false,
    });
  });

  it('starts nothing when the source is gone (its BlobDeleted cleans up)', async () => {
    const blobName = `life/${randomUUID()}/pic.jpg`;
    const input = { orchestration: orchestration(blobName, '"0x1"') };
    expect(await handOffToCurrentVersion(input, { blobService, client: stub.client() })).toEqual({
      ok: false,
      reason: 'source-missing',
    });
  });
});

describe('lifecycle activity inputs', () => {
  it('refuse a malformed input with the field named', () => {
    expect(() => assertSourcePath({ container: 'images-unprocessed' })).toThrow(
      'Expected a non-empty string for input.blobName but received nothing',
    );
    expect(() => assertHandOffInput({ orchestration: { source: {}, sizes: [] } })).toThrow(
      'Expected a non-empty array for input.orchestration.sizes but received []',
    );
  });
});
