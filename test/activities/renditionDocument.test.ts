import type { Container, CosmosClient } from '@azure/cosmos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  writeImageDocumentWithGuard,
  type WriteDocumentDeps,
} from '../../src/activities/document/writeDocument';
import { assertWriteDocumentInput } from '../../src/activities/inputs';
import { loadSettings } from '../../src/config/settings';
import {
  COSMOS_MAX_ITEM_BYTES,
  MAX_LABELS,
  MAX_LABEL_LENGTH,
  MAX_VARIANT_JSON_BYTES,
  parseSizes,
} from '../../src/config/sizes';
import { derivativeUrl } from '../../src/domain/blobPath';
import { derivativeBlobName } from '../../src/domain/derivativeNames';
import { MAX_SOURCE_BLOB_NAME_LENGTH } from '../../src/events/blobName';
import { documentIdFor, versionTagFor } from '../../src/domain/ids';
import type {
  ImageDocument,
  ImageError,
  OutputFormat,
  Placeholder,
  ResizeOutcome,
  Variant,
  WriteDocumentInput,
} from '../../src/domain/types';
import { createCosmosClient, imagesContainerOf } from '../../src/storage/cosmosClient';
import { cosmosDocumentStore } from '../../src/storage/documentStore';
import { testEnv } from '../support/env';
import { sourceRef } from './documentFixtures';

const settings = loadSettings(testEnv());
let client: CosmosClient;
let container: Container;
let clock = Date.parse('2026-11-29T05:00:00.000Z');

const CONTENT_TYPES: Record<OutputFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};
const EXTENSIONS: Record<OutputFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
};

function variant(label: string, format: OutputFormat, width: number, height: number, run = '01'): Variant {
  const blobName = `users/42/cat_${label}.${EXTENSIONS[format]}`;
  return {
    label,
    format,
    width,
    height,
    contentType: CONTENT_TYPES[format],
    blobName,
    url: `http://127.0.0.1:10000/devstoreaccount1/images-processed/${blobName}`,
    sizeBytes: width * (format === 'avif' ? 3 : format === 'webp' ? 4 : 6),
    eTag: `"0x${label}${format}${run}"`,
    lastModified: '2026-11-29T04:00:00.000Z',
    createdAt: '2026-11-29T04:00:01.000Z',
  };
}

/** One label's outcome: the formats it produced and the ones that failed. */
function outcome(label: string, variants: Variant[], errors: ImageError[] = []): ResizeOutcome {
  const source = { format: 'JPEG', width: 2000, height: 1500, length: 48_000, contentType: 'image/jpeg' };
  return variants.length > 0
    ? { ok: true, label, variants, errors, source }
    : { ok: false, label, variants: [], errors, source };
}

const placeholder: Placeholder = { thumbhash: 'HBkSHYSIeHiPiHh8eJd4eTN0EEQG', dominantColor: '#c81828' };

function deps(): WriteDocumentDeps {
  return {
    store: cosmosDocumentStore(container),
    // The source exists and is the run's version (the writer asks before a first write too).
    currentSourceETag: ({ source }) => Promise.resolve(source.eTag),
    // The fixtures' variants name no blobs; the writer's HEAD of them is tested in droppedDerivatives.test.ts.
    derivativeState: () => Promise.resolve('present' as const),
    now: () => new Date((clock += 1000)),
  };
}

async function readDocument(input: WriteDocumentInput): Promise<ImageDocument | undefined> {
  const id = documentIdFor(input.source.container, input.source.blobName);
  const { resource } = await container.item(id, id).read<ImageDocument>();
  return resource;
}

/** Writes through the activity's own input check, as the orchestrator's JSON would arrive. */
async function write(input: WriteDocumentInput) {
  return writeImageDocumentWithGuard(assertWriteDocumentInput(JSON.parse(JSON.stringify(input))), deps());
}

beforeAll(() => {
  client = createCosmosClient(settings.cosmos);
  container = imagesContainerOf(client, settings.cosmos);
});
afterAll(() => client.dispose());

describe('document: one variant per (label, format) and a placeholder, through the writer and Cosmos', () => {
  it('the largest catalog IMAGE_SIZES accepts, with the longest names, fits Cosmos DB item limit', async () => {
    // MAX_LABELS labels of the longest length, each in 4 output formats, on a source name of the longest
    // length in 3-byte UTF-8 characters (9 characters each once path-encoded in the URL).
    const labels = Array.from({ length: MAX_LABELS }, (_, index) =>
      `${index}`.padStart(MAX_LABEL_LENGTH, 'x'),
    );
    const catalog = parseSizes(
      'IMAGE_SIZES',
      JSON.stringify(
        labels.map((label) => ({ label, width: 100, formats: ['source', 'jpeg', 'webp', 'avif'] })),
      ),
    );
    expect(catalog).toHaveLength(MAX_LABELS);
    const source = sourceRef({
      blobName: `users/${'界'.repeat(MAX_SOURCE_BLOB_NAME_LENGTH - 'users/'.length)}`,
    });
    const tag = versionTagFor(source.container, source.blobName, source.eTag);
    const baseUrl = `https://${'a'.repeat(480)}.example/images-processed`;
    const formats: OutputFormat[] = ['png', 'jpeg', 'webp', 'avif'];
    const input: WriteDocumentInput = {
      instanceId: 'img-largest-catalog',
      source,
      outcomes: catalog.map(({ label }) =>
        outcome(
          label,
          formats.map((format) => {
            const blobName = derivativeBlobName(source.blobName, tag, label, EXTENSIONS[format]);
            return {
              ...variant(label, format, 16383, 16383),
              blobName,
              url: derivativeUrl('', blobName, baseUrl),
              sizeBytes: 999_999_999,
            };
          }),
        ),
      ),
      placeholder,
    };
    expect(await write(input)).toMatchObject({ ok: true, status: 'completed' });
    const stored = await readDocument(input);
    expect(stored?.variants).toHaveLength(MAX_LABELS * formats.length);
    const largestVariant = Math.max(
      ...(stored?.variants ?? []).map((entry) => Buffer.byteLength(JSON.stringify(entry))),
    );
    expect(largestVariant).toBeLessThanOrEqual(MAX_VARIANT_JSON_BYTES);
    expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThanOrEqual(COSMOS_MAX_ITEM_BYTES);
  });

  it('has exactly the shape of docs/design.md "The document"', async () => {
    const input: WriteDocumentInput = {
      instanceId: 'img-renditions',
      source: sourceRef(),
      outcomes: [
        outcome('thumb', [
          variant('thumb', 'jpeg', 150, 150),
          variant('thumb', 'webp', 150, 150),
          variant('thumb', 'avif', 150, 150),
        ]),
        outcome('large', [variant('large', 'avif', 1280, 960), variant('large', 'jpeg', 1280, 960)]),
      ],
      placeholder,
    };
    expect(await write(input)).toMatchObject({ ok: true, status: 'completed' });
    const stored = await readDocument(input);
    const document = Object.fromEntries(Object.entries(stored ?? {}).filter(([key]) => !key.startsWith('_')));
    expect(Object.keys(document).sort()).toEqual(
      [
        'id',
        'sourceContainer',
        'sourceBlobName',
        'sourceLength',
        'sourceFormat',
        'sourceContentType',
        'sourceWidth',
        'sourceHeight',
        'sourceETag',
        'sourceSequencer',
        'instanceId',
        'status',
        'createdAt',
        'updatedAt',
        'placeholder',
        'variants',
        'errors',
      ].sort(),
    );
    expect(document.placeholder).toEqual(placeholder);
    // Sorted by label, then format, whatever order the activities finished in.
    expect(
      stored?.variants.map((entry) => [entry.label, entry.format, entry.contentType, entry.blobName]),
    ).toEqual([
      ['large', 'avif', 'image/avif', 'users/42/cat_large.avif'],
      ['large', 'jpeg', 'image/jpeg', 'users/42/cat_large.jpg'],
      ['thumb', 'avif', 'image/avif', 'users/42/cat_thumb.avif'],
      ['thumb', 'jpeg', 'image/jpeg', 'users/42/cat_thumb.jpg'],
      ['thumb', 'webp', 'image/webp', 'users/42/cat_thumb.webp'],
    ]);
    for (const entry of stored?.variants ?? []) {
      expect(Object.keys(entry).sort()).toEqual(
        [
          'label',
          'format',
          'width',
          'height',
          'contentType',
          'blobName',
          'url',
          'sizeBytes',
          'eTag',
          'lastModified',
          'createdAt',
        ].sort(),
      );
    }
  });

  it("records a failed format with label and format, keeps the label's other formats, and is partial", async () => {
    const avifFailed: ImageError = {
      label: 'thumb',
      format: 'avif',
      code: 'internal',
      message: 'The avif encoder failed: x',
    };
    const input: WriteDocumentInput = {
      instanceId: 'img-one-format-failed',
      source: sourceRef(),
      outcomes: [
        outcome(
          'thumb',
          [variant('thumb', 'jpeg', 150, 150), variant('thumb', 'webp', 150, 150)],
          [avifFailed],
        ),
      ],
    };
    expect(await write(input)).toMatchObject({ ok: true, status: 'partial' });
    const document = await readDocument(input);
    expect(document?.variants.map((entry) => entry.format)).toEqual(['jpeg', 'webp']);
    expect(document?.errors).toEqual([avifFailed]);
    expect(document).not.toHaveProperty('placeholder');
  });

  it('a re-run of the same version merges per (label, format) and keeps the stored placeholder', async () => {
    const source = sourceRef();
    const first: WriteDocumentInput = {
      instanceId: 'img-first',
      source,
      outcomes: [
        outcome('thumb', [
          variant('thumb', 'jpeg', 150, 150),
          variant('thumb', 'webp', 150, 150),
          variant('thumb', 'avif', 150, 150),
        ]),
        outcome('large', [variant('large', 'jpeg', 1280, 960)]),
      ],
      placeholder,
    };
    await write(first);
    // A one-size re-run: webp made again, avif failed this time (its stored variant is from the same bytes,
    // so it stays), jpeg dropped from the plan (its variant goes); no placeholder this run.
    const rerun: WriteDocumentInput = {
      instanceId: 'img-rerun',
      source: { ...source, sequencer: '' },
      outcomes: [
        outcome(
          'thumb',
          [variant('thumb', 'webp', 150, 150, '02')],
          [{ label: 'thumb', format: 'avif', code: 'internal', message: 'The avif encoder failed: x' }],
        ),
      ],
    };
    expect(await write(rerun)).toMatchObject({ ok: true, status: 'completed' });
    const merged = await readDocument(first);
    expect(merged?.variants.map((entry) => [entry.label, entry.format, entry.eTag])).toEqual([
      ['large', 'jpeg', '"0xlargejpeg01"'],
      ['thumb', 'avif', '"0xthumbavif01"'],
      ['thumb', 'webp', '"0xthumbwebp02"'],
    ]);
    expect(merged?.errors).toEqual([]);
    expect(merged?.placeholder).toEqual(placeholder);
  });

  it('a label that failed as a whole on a re-run keeps every stored format of it', async () => {
    const source = sourceRef();
    const first: WriteDocumentInput = {
      instanceId: 'img-first',
      source,
      outcomes: [outcome('thumb', [variant('thumb', 'jpeg', 150, 150), variant('thumb', 'webp', 150, 150)])],
    };
    await write(first);
    const rerun: WriteDocumentInput = {
      instanceId: 'img-rerun',
      source: { ...source, sequencer: '' },
      outcomes: [
        outcome(
          'thumb',
          [],
          [{ label: 'thumb', code: 'internal', message: 'resize-thumb failed after retries' }],
        ),
      ],
    };
    await write(rerun);
    const merged = await readDocument(first);
    expect(merged?.variants.map((entry) => entry.format)).toEqual(['jpeg', 'webp']);
    expect(merged?.status).toBe('completed');
  });

  it('rejects a malformed placeholder in the writer input with the field named', () => {
    expect(() =>
      assertWriteDocumentInput({
        instanceId: 'i',
        source: sourceRef(),
        outcomes: [],
        placeholder: { thumbhash: 3 },
      }),
    ).toThrow('Expected a non-empty string for input.placeholder.thumbhash but received 3');
  });
});
