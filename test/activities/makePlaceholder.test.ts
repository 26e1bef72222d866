import { InvocationContext } from '@azure/functions';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPlaceholderHandler } from '../../src/activities/makePlaceholder';
import type { PlaceholderDeps } from '../../src/activities/placeholder/placeholderToOutcome';
import { loadSettings } from '../../src/config/settings';
import type { PlaceholderOutcome, SourceRef } from '../../src/domain/types';
import { ImageResourceError } from '../../src/domain/errors';
import { makePlaceholder, makePlaceholderFromIntermediate } from '../../src/imaging';
import { testEnv } from '../support/env';
import { makePhoto, truncate } from '../support/images';
import { openImageContainers, uploadSourceRef, type ImageContainers } from './resizeFixture';

const settings = loadSettings(testEnv());
let containers: ImageContainers;
let photo: Buffer;

beforeAll(async () => {
  containers = await openImageContainers(settings);
  photo = await makePhoto({ width: 1200, height: 800, format: 'jpeg' });
});

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

async function run(source: SourceRef, placeholderDeps = deps(), lines: string[] = []) {
  const handler = createPlaceholderHandler(() => placeholderDeps);
  const context = new InvocationContext({
    functionName: 'makePlaceholder',
    logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
  });
  return (await handler({ source, instanceId: 'img-placeholder' }, context)) as PlaceholderOutcome;
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
