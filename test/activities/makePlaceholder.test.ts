import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container, CosmosClient } from '@azure/cosmos';
import { documentIdFor } from '../../src/domain/ids';
import type { ImageDocument } from '../../src/domain/types';
import { createCosmosClient, imagesContainerOf } from '../../src/storage/cosmosClient';
import { cosmosDocumentStore } from '../../src/storage/documentStore';
import { createPlaceholderHandler } from '../../src/activities/makePlaceholder';
import type { PlaceholderDeps } from '../../src/activities/placeholder/placeholderToOutcome';
import { loadSettings } from '../../src/config/settings';
import type { IntermediateRef, PlaceholderOutcome, SourceRef } from '../../src/domain/types';
import { ImageResourceError } from '../../src/domain/errors';
import { makePlaceholder, makePlaceholderFromIntermediate } from '../../src/imaging';
import { testEnv } from '../support/env';
import { makePhoto, truncate } from '../support/images';
import { openImageContainers, uploadSourceRef, type ImageContainers } from './resizeFixture';

const settings = loadSettings(testEnv());
let containers: ImageContainers;
let photo: Buffer;

let cosmosClient: CosmosClient;
let cosmos: Container;

beforeAll(async () => {
  containers = await openImageContainers(settings);
  photo = await makePhoto({ width: 1200, height: 800, format: 'jpeg' });
  cosmosClient = createCosmosClient(settings.cosmos);
  cosmos = imagesContainerOf(cosmosClient, settings.cosmos);
});
afterAll(() => cosmosClient.dispose());

/** The document a finished run left for `eTag`'s version of the source, with its placeholder. */
async function documentWithPlaceholder(source: SourceRef, eTag: string): Promise<void> {
  const document: ImageDocument = {
    id: documentIdFor(source.container, source.blobName),
    sourceContainer: source.container,
    sourceBlobName: source.blobName,
    sourceLength: source.contentLength,
    sourceFormat: 'JPEG',
    sourceContentType: 'image/jpeg',
    sourceWidth: 1200,
    sourceHeight: 800,
    sourceETag: eTag,
    sourceSequencer: source.sequencer,
    instanceId: 'img-upload',
    status: 'completed',
    createdAt: '2026-11-30T01:00:00.000Z',
    updatedAt: '2026-11-30T01:00:00.000Z',
    placeholder: { thumbhash: 'HBkSHYSIeHiPiHh8eJd4eTN0EEQG', dominantColor: '#c81828' },
    variants: [],
    errors: [],
  };
  expect(await cosmosDocumentStore(cosmos).create(document)).toBe('written');
}

function deps(overrides: Partial<PlaceholderDeps> = {}): PlaceholderDeps {
  return {
    blobService: containers.blobService,
    limits: { maxSourceBytes: settings.maxSourceBytes, maxSourcePixels: settings.maxSourcePixels },
    make: makePlaceholder,
    makeFromIntermediate: makePlaceholderFromIntermediate,
    ...overrides,
  };
}

function uploadSource(data: Buffer): Promise<SourceRef> {
  return uploadSourceRef(
    containers.unprocessed,
    settings,
    `users/${randomUUID()}/cat.jpg`,
    data,
    'image/jpeg',
  );
}

async function run(
  source: SourceRef,
  placeholderDeps = deps(),
  lines: string[] = [],
  intermediate?: IntermediateRef,
) {
  const handler = createPlaceholderHandler(() => placeholderDeps);
  const context = new InvocationContext({
    functionName: 'makePlaceholder',
    logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
  });
  const input = { source, instanceId: 'img-placeholder', ...(intermediate ? { intermediate } : {}) };
  return (await handler(input, context)) as PlaceholderOutcome;
}

describe('placeholder activity against Azurite', () => {
  it('makes the placeholder of the version the event announced', async () => {
    const outcome = await run(await uploadSource(photo));
    expect(outcome).toEqual({
      ok: true,
      placeholder: {
        thumbhash: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
        dominantColor: expect.stringMatching(/^#[0-9a-f]{6}$/),
      },
    });
  });

  it('a corrupt source is not `ok`, with the reason, logged; nothing throws', async () => {
    const lines: string[] = [];
    const outcome = await run(await uploadSource(truncate(photo, 0.5)), deps(), lines);
    expect(outcome).toMatchObject({ ok: false, reason: expect.stringMatching(/^corrupt-image: /) });
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toContainEqual(
      expect.objectContaining({
        msg: 'no placeholder: source rejected',
        code: 'corrupt-image',
        blobName: expect.any(String),
      }),
    );
  });

  it("reuses the placeholder this version's document records, without reading the source", async () => {
    const source = await uploadSource(photo);
    await documentWithPlaceholder(source, source.eTag.replace(/"/g, ''));
    // Gone: a decode could not even start, so an ok answer can only come from the document.
    await containers.unprocessed.getBlobClient(source.blobName).delete();
    const outcome = await run(source, deps({ store: cosmosDocumentStore(cosmos) }));
    expect(outcome).toEqual({
      ok: true,
      placeholder: { thumbhash: 'HBkSHYSIeHiPiHh8eJd4eTN0EEQG', dominantColor: '#c81828' },
    });
  });

  it("a later run of the version that built an intermediate still reuses the document's placeholder", async () => {
    const source = await uploadSource(photo);
    await documentWithPlaceholder(source, source.eTag.replace(/"/g, ''));
    // Neither the source nor the intermediate is there to read: the answer can only come from the document,
    // so a placeholder made from a 900x300 intermediate never replaces the one made from the source.
    await containers.unprocessed.getBlobClient(source.blobName).delete();
    const intermediate: IntermediateRef = {
      container: settings.unprocessedContainer,
      blobName: `intermediate-${randomUUID()}.raw`,
      eTag: '"0x8DC0000000000001"',
      width: 900,
      height: 600,
      source: {
        format: 'JPEG',
        width: 1200,
        height: 800,
        length: photo.length,
        contentType: 'image/jpeg',
        hasAlpha: false,
      },
    };
    const outcome = await run(source, deps({ store: cosmosDocumentStore(cosmos) }), [], intermediate);
    expect(outcome).toEqual({
      ok: true,
      placeholder: { thumbhash: 'HBkSHYSIeHiPiHh8eJd4eTN0EEQG', dominantColor: '#c81828' },
    });
  });

  it("never reuses another version's placeholder", async () => {
    const source = await uploadSource(photo);
    await documentWithPlaceholder(source, '0x8DC0000OTHER01');
    const outcome = await run(source, deps({ store: cosmosDocumentStore(cosmos) }));
    expect(outcome).toMatchObject({ ok: true });
    if (!outcome.ok) throw new Error('expected a placeholder');
    expect(outcome.placeholder.thumbhash).not.toBe('HBkSHYSIeHiPiHh8eJd4eTN0EEQG');
  });

  it('a deleted source is not `ok` (source-missing)', async () => {
    const source = await uploadSource(photo);
    await containers.unprocessed.deleteBlob(source.blobName);
    expect(await run(source)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^source-missing: /),
    });
  });

  it('a bug is not `ok` (internal); running out of memory throws so Durable retries', async () => {
    const source = await uploadSource(photo);
    expect(await run(source, deps({ make: () => Promise.reject(new Error('thumbhash bug')) }))).toEqual({
      ok: false,
      reason: 'internal: thumbhash bug',
    });
    const exhausted = new ImageResourceError('out of memory');
    await expect(run(source, deps({ make: () => Promise.reject(exhausted) }))).rejects.toBe(exhausted);
  });
});
