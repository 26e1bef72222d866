import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageResourceError } from '../../src/domain/errors';
import { decodeFailure } from '../../src/imaging/decodeFailure';
import { isResourceExhaustion } from '../../src/imaging/resourceExhaustion';
import { makePhoto, truncate } from '../support/images';

/** What sharp really rejects with for `source` (decoded with the renderer's strict `failOn`). */
async function sharpError(source: Buffer, options: sharp.SharpOptions = {}): Promise<unknown> {
  return sharp(source, { failOn: 'error', ...options })
    .resize(50)
    .toBuffer()
    .then(
      () => expect.fail('expected sharp to reject'),
      (error: unknown) => error,
    );
}

// Wordings of libvips (memory.c, thread.c), GLib, libjpeg, libheif and the C library for exhausted memory
// or threads, as they reach JavaScript through sharp's rejected promise.
const RESOURCE_MESSAGES = [
  'vips_tracked: out of memory --- size == 1536MB',
  'VipsJpeg: Insufficient memory (case 4)',
  'unable to mmap\nCannot allocate memory',
  'heifload: Memory allocation error: Cannot allocate memory for image plane',
  'std::bad_alloc',
  'threadpool: unable to create thread',
  'Error creating thread: Resource temporarily unavailable',
];

describe('isResourceExhaustion', () => {
  it.each(RESOURCE_MESSAGES)('is true for %j', (message) => {
    expect(isResourceExhaustion(message)).toBe(true);
  });

  it('is false for what sharp reports about truncated, corrupt and over-budget files', async () => {
    const jpeg = await makePhoto({ width: 200, height: 150, format: 'jpeg' });
    const png = await makePhoto({ width: 200, height: 150, format: 'png' });
    const messages = await Promise.all([
      sharpError(truncate(jpeg, 0.5)),
      sharpError(truncate(png, 0.5)),
      sharpError(Buffer.concat([png.subarray(0, 40), Buffer.alloc(400, 0x5a)])),
      sharpError(jpeg, { limitInputPixels: 100 }),
    ]);
    for (const error of messages) {
      expect(error).toBeInstanceOf(Error);
      expect(isResourceExhaustion((error as Error).message)).toBe(false);
    }
  });
});

describe('decodeFailure', () => {
  it.each(RESOURCE_MESSAGES)(
    'throws an ImageResourceError (transient, retried by Durable) for %j',
    (message) => {
      for (const stage of ['header', 'decode'] as const) {
        const attempt = (): unknown => decodeFailure({ format: 'JPEG' }, stage, new Error(message));
        expect(attempt).toThrow(ImageResourceError);
        expect(attempt).toThrow(
          `The JPEG ${stage} could not be read for lack of memory or threads (transient): `,
        );
      }
    },
  );

  it('keeps a truncated decode as the permanent corrupt-image, with the libvips message', async () => {
    const jpeg = await makePhoto({ width: 200, height: 150, format: 'jpeg' });
    const error = await sharpError(truncate(jpeg, 0.5));
    const failure = decodeFailure({ format: 'JPEG', width: 200, height: 150 }, 'decode', error);
    expect(failure.error.code).toBe('corrupt-image');
    expect(failure.error.message).toMatch(/^The JPEG could not be decoded: \S/);
    expect(failure.source).toEqual({ format: 'JPEG', width: 200, height: 150 });
  });

  it('keeps an unreadable header as corrupt-image', async () => {
    const png = await makePhoto({ width: 200, height: 150, format: 'png' });
    const error = await sharp(png.subarray(0, 20))
      .metadata()
      .then(
        () => expect.fail('expected metadata() to reject'),
        (rejection: unknown) => rejection,
      );
    const failure = decodeFailure({ format: 'PNG' }, 'header', error);
    expect(failure.error.code).toBe('corrupt-image');
    expect(failure.error.message).toMatch(/^The PNG header could not be read: \S/);
  });

  it("maps libvips' own pixel-limit rejection to too-many-pixels", async () => {
    const jpeg = await makePhoto({ width: 200, height: 150, format: 'jpeg' });
    const failure = decodeFailure(
      { format: 'JPEG', width: 200, height: 150 },
      'decode',
      await sharpError(jpeg, { limitInputPixels: 100 }),
    );
    expect(failure.error).toEqual({
      code: 'too-many-pixels',
      message: 'The JPEG exceeds the pixel limit: Input image exceeds pixel limit',
    });
  });
});
