import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  renderDerivative,
  type RenderedDerivative,
  type RenderResult,
  type SourceLimits,
} from '../../src/imaging';
import {
  EXIF_ORIENTATIONS,
  MARKERS,
  makeAnimation,
  makeNonImage,
  makePhoto,
  makePixelBomb,
  truncate,
  XMP_MARKER,
  type PhotoOptions,
} from '../support/images';
import { colourDistance, decode, fitInside, pixelAt } from './pixels';

/** The default renditions' boxes (config/sizes.ts: `inside`, source format). */
const DEFAULT_BOXES = [
  { label: 'thumb', width: 150, height: 150 },
  { label: 'medium', width: 640, height: 640 },
  { label: 'large', width: 1280, height: 1280 },
] as const;

const LIMITS: SourceLimits = { maxSourceBytes: 50 * 1024 * 1024, maxSourcePixels: 50_000_000 };
const THUMB = { width: 150, height: 150 };

function derivativeOf(result: RenderResult): RenderedDerivative {
  if (!result.ok) throw new Error(`expected a derivative, got ${result.error.code}: ${result.error.message}`);
  return result.derivative;
}

/** Whether raw EXIF holds a GPS IFD pointer (tag 0x8825) in either byte order. */
function hasGpsIfd(exif: Buffer | undefined): boolean {
  if (exif === undefined) return false;
  const bigEndian = exif.includes(Buffer.from('MM\0*'));
  return exif.includes(Buffer.from(bigEndian ? [0x88, 0x25, 0x00, 0x04] : [0x25, 0x88, 0x04, 0x00]));
}

async function render(options: PhotoOptions, box = THUMB): Promise<RenderedDerivative> {
  return derivativeOf(await renderDerivative(await makePhoto(options), box, LIMITS));
}

describe('renderDerivative: orientation', () => {
  it.each(EXIF_ORIENTATIONS)(
    'EXIF orientation %i comes out upright with the markers at the top',
    async (orientation) => {
      const derivative = await render({ width: 300, height: 200, format: 'jpeg', orientation });
      expect([derivative.width, derivative.height]).toEqual([150, 100]);
      expect(derivative.source).toEqual({ format: 'JPEG', width: 300, height: 200, hasAlpha: false });
      const image = await decode(derivative.data);
      expect(colourDistance(pixelAt(image, 5, 5), MARKERS.topLeft)).toBeLessThan(40);
      expect(colourDistance(pixelAt(image, image.width - 6, 5), MARKERS.topRight)).toBeLessThan(40);
      expect(colourDistance(pixelAt(image, 5, image.height - 6), MARKERS.topLeft)).toBeGreaterThan(80);
      expect((await sharp(derivative.data).metadata()).orientation).toBeUndefined();
    },
  );
});

describe('renderDerivative: exact dimensions into the default boxes', () => {
  const shapes = { landscape: [2400, 1600], portrait: [1600, 2400], square: [1800, 1800] } as const;
  const sources = new Map<string, Buffer>();
  beforeAll(async () => {
    for (const [shape, [width, height]] of Object.entries(shapes)) {
      sources.set(shape, await makePhoto({ width, height, format: 'jpeg', markers: false }));
    }
  });

  for (const shape of Object.keys(shapes) as (keyof typeof shapes)[]) {
    it.each(DEFAULT_BOXES.map((size) => [size.label, size] as const))(
      `${shape} into %s`,
      async (_label, size) => {
        const [width, height] = shapes[shape];
        const derivative = derivativeOf(await renderDerivative(sources.get(shape)!, size, LIMITS));
        const expected = fitInside(width, height, size);
        expect([derivative.width, derivative.height]).toEqual([expected.width, expected.height]);
        expect(Math.max(derivative.width, derivative.height)).toBe(size.width);
        const metadata = await sharp(derivative.data).metadata();
        expect([metadata.format, metadata.width, metadata.height]).toEqual([
          'jpeg',
          expected.width,
          expected.height,
        ]);
        expect([derivative.contentType, derivative.extension, derivative.format]).toEqual([
          'image/jpeg',
          'jpg',
          'jpeg',
        ]);
      },
    );
  }

  it.each([
    [3000, 2, 150, 1],
    [2, 3000, 1, 150],
    [1, 1, 1, 1],
  ])('keeps at least one pixel per side: %ix%i -> %ix%i', async (width, height, outWidth, outHeight) => {
    const derivative = await render({ width, height, format: 'png' });
    expect([derivative.width, derivative.height]).toEqual([outWidth, outHeight]);
  });

  it('never enlarges an image smaller than the box', async () => {
    const derivative = await render({ width: 120, height: 90, format: 'png' }, { width: 640, height: 640 });
    expect([derivative.width, derivative.height]).toEqual([120, 90]);
  });
});

describe('renderDerivative: output format follows the detected input format', () => {
  it.each([
    ['jpeg', 'JPEG', 'jpeg', 'image/jpeg', 'jpg'],
    ['png', 'PNG', 'png', 'image/png', 'png'],
    ['webp', 'WEBP', 'webp', 'image/webp', 'webp'],
    ['gif', 'GIF', 'jpeg', 'image/jpeg', 'jpg'],
    ['tiff', 'TIFF', 'jpeg', 'image/jpeg', 'jpg'],
    ['avif', 'AVIF', 'jpeg', 'image/jpeg', 'jpg'],
  ] as const)(
    'opaque %s -> %s source, %s output',
    async (format, sourceFormat, outputFormat, contentType, extension) => {
      const derivative = await render({ width: 200, height: 160, format });
      expect(derivative.source.format).toBe(sourceFormat);
      expect([derivative.format, derivative.contentType, derivative.extension]).toEqual([
        outputFormat,
        contentType,
        extension,
      ]);
      const metadata = await sharp(derivative.data).metadata();
      expect([metadata.format, metadata.width, metadata.height, metadata.hasAlpha]).toEqual([
        outputFormat,
        150,
        120,
        false,
      ]);
    },
  );

  it('renders PNG bytes uploaded under a .jpg name as PNG: only the bytes are looked at', async () => {
    const pngBytesNamedCatJpg = await makePhoto({ width: 200, height: 100, format: 'png' });
    const derivative = derivativeOf(await renderDerivative(pngBytesNamedCatJpg, THUMB, LIMITS));
    expect([derivative.source.format, derivative.format, derivative.extension]).toEqual([
      'PNG',
      'png',
      'png',
    ]);
    expect((await sharp(derivative.data).metadata()).format).toBe('png');
  });

  it.each(['png', 'webp', 'tiff', 'avif'] as const)(
    '%s with transparency keeps it (PNG for TIFF/AVIF)',
    async (format) => {
      const derivative = await render({ width: 200, height: 160, format, alpha: true });
      expect(derivative.format).toBe(format === 'webp' ? 'webp' : 'png');
      expect(derivative.source.hasAlpha).toBe(true);
      const image = await decode(derivative.data);
      expect(image.channels).toBe(4);
      expect(pixelAt(image, 10, 10)[3]).toBe(255);
      expect(pixelAt(image, image.width - 10, image.height - 10)[3]).toBe(0);
    },
  );

  it('a GIF with a transparent region becomes a PNG with alpha', async () => {
    const derivative = await render({ width: 200, height: 160, format: 'gif', alpha: true });
    expect([derivative.source.format, derivative.format]).toEqual(['GIF', 'png']);
    const image = await decode(derivative.data);
    expect(pixelAt(image, image.width - 10, image.height - 10)[3]).toBe(0);
  });
});

describe('renderDerivative: colour and metadata', () => {
  it('converts a CMYK JPEG to 8-bit sRGB', async () => {
    const derivative = await render({ width: 300, height: 200, format: 'jpeg', cmyk: true });
    const metadata = await sharp(derivative.data).metadata();
    expect([metadata.format, metadata.space, metadata.channels, metadata.depth]).toEqual([
      'jpeg',
      'srgb',
      3,
      'uchar',
    ]);
    const image = await decode(derivative.data);
    expect(colourDistance(pixelAt(image, 5, 5), MARKERS.topLeft)).toBeLessThan(60);
  });

  it('converts a Display P3 source to sRGB through its ICC profile, then drops the profile', async () => {
    const source = await makePhoto({ width: 300, height: 200, format: 'png', icc: 'p3' });
    const input = await decode(source, { storedNumbers: true });
    // The stored P3 numbers differ from the sRGB marker: a pipeline that ignored the profile would fail below.
    expect(colourDistance(pixelAt(input, 5, 5), MARKERS.topLeft)).toBeGreaterThan(15);
    const derivative = derivativeOf(await renderDerivative(source, THUMB, LIMITS));
    expect((await sharp(derivative.data).metadata()).hasProfile).toBe(false);
    expect(colourDistance(pixelAt(await decode(derivative.data), 5, 5), MARKERS.topLeft)).toBeLessThan(4);
  });

  it('converts a 16-bit PNG to an 8-bit sRGB PNG', async () => {
    const derivative = await render({ width: 300, height: 200, format: 'png', sixteenBit: true });
    const metadata = await sharp(derivative.data).metadata();
    expect([metadata.format, metadata.space, metadata.depth, metadata.bitsPerSample]).toEqual([
      'png',
      'srgb',
      'uchar',
      8,
    ]);
    const image = await decode(derivative.data);
    expect(colourDistance(pixelAt(image, 5, 5), MARKERS.topLeft)).toBeLessThan(4);
  });

  // (libvips writes no EXIF into TIFF, so TIFF sources cannot carry the GPS this test needs.)
  it.each(['jpeg', 'png', 'webp'] as const)('strips EXIF, GPS, XMP and ICC from a %s', async (format) => {
    const source = await makePhoto({
      width: 300,
      height: 200,
      format,
      orientation: 6,
      exif: { gps: true, xmp: true },
    });
    const input = await sharp(source).metadata();
    expect(hasGpsIfd(input.exif)).toBe(true);
    expect(input.xmpAsString).toContain(XMP_MARKER);
    const derivative = derivativeOf(await renderDerivative(source, THUMB, LIMITS));
    const metadata = await sharp(derivative.data).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.xmp).toBeUndefined();
    expect(metadata.iptc).toBeUndefined();
    expect(metadata.hasProfile).toBe(false);
    expect(metadata.orientation).toBeUndefined();
    expect(derivative.data.includes(Buffer.from('TestCam'))).toBe(false);
    expect(derivative.data.includes(Buffer.from(XMP_MARKER))).toBe(false);
  });
});

describe('renderDerivative: bad input is a typed outcome, never a throw', () => {
  it('a truncated JPEG is corrupt-image', async () => {
    const photo = await makePhoto({ width: 400, height: 300, format: 'jpeg' });
    const result = await renderDerivative(truncate(photo, 0.5), THUMB, LIMITS);
    expect(result).toMatchObject({ ok: false, error: { code: 'corrupt-image' } });
  });

  it('a JPEG with a recoverable libjpeg warning (extraneous bytes before a marker) still renders', async () => {
    const photo = await makePhoto({ width: 400, height: 300, format: 'jpeg' });
    const startOfScan = photo.indexOf(Buffer.from([0xff, 0xda]));
    const withJunk = Buffer.concat([
      photo.subarray(0, startOfScan),
      Buffer.from([0x00, 0x00]),
      photo.subarray(startOfScan),
    ]);
    await expect(sharp(withJunk, { failOn: 'warning' }).toBuffer()).rejects.toThrow(/extraneous bytes/);
    const derivative = derivativeOf(await renderDerivative(withJunk, THUMB, LIMITS));
    expect([derivative.width, derivative.height]).toEqual([150, 113]);
  });

  it('a JPEG cut inside its header is corrupt-image', async () => {
    const photo = await makePhoto({ width: 400, height: 300, format: 'jpeg' });
    const result = await renderDerivative(photo.subarray(0, 40), THUMB, LIMITS);
    expect(result).toMatchObject({ ok: false, error: { code: 'corrupt-image' } });
  });

  it('a truncated PNG is corrupt-image', async () => {
    const photo = await makePhoto({ width: 400, height: 300, format: 'png' });
    const result = await renderDerivative(truncate(photo, 0.6), THUMB, LIMITS);
    expect(result).toMatchObject({ ok: false, error: { code: 'corrupt-image' } });
  });

  it('a text file is not-an-image', async () => {
    const result = await renderDerivative(makeNonImage(), THUMB, LIMITS);
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'not-an-image',
        message: 'The content is not an image (no known image signature in its first bytes)',
      },
    });
  });

  it('an empty file is not-an-image', async () => {
    expect(await renderDerivative(Buffer.alloc(0), THUMB, LIMITS)).toMatchObject({
      ok: false,
      error: { code: 'not-an-image' },
    });
  });

  it('a BMP is unsupported-format', async () => {
    const bmp = Buffer.alloc(70);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(70, 2);
    bmp.writeUInt32LE(40, 14);
    const result = await renderDerivative(bmp, THUMB, LIMITS);
    expect(result).toMatchObject({ ok: false, error: { code: 'unsupported-format' } });
    expect(!result.ok && result.error.message).toContain('BMP');
  });

  it('an SVG whose <svg follows a long comment is unsupported-format, not not-an-image', async () => {
    const comment = `<!-- ${'Generated by an editor, licence text. '.repeat(40)}-->`;
    expect(comment.length).toBeGreaterThan(512);
    const svg = Buffer.from(`<?xml version="1.0"?>\n${comment}\n<svg xmlns="http://www.w3.org/2000/svg"/>`);
    const result = await renderDerivative(svg, THUMB, LIMITS);
    expect(result).toMatchObject({ ok: false, error: { code: 'unsupported-format' } });
    expect(!result.ok && result.error.message).toContain('SVG');
  });

  it('a file over MAX_SOURCE_BYTES is too-large, even if it is a fine image', async () => {
    const photo = await makePhoto({ width: 100, height: 100, format: 'jpeg' });
    const result = await renderDerivative(photo, THUMB, { ...LIMITS, maxSourceBytes: photo.length - 1 });
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'too-large',
        message: `The source is ${photo.length} bytes; the limit is ${photo.length - 1} (MAX_SOURCE_BYTES)`,
      },
    });
    const atLimit = await renderDerivative(photo, THUMB, { ...LIMITS, maxSourceBytes: photo.length });
    expect(atLimit.ok).toBe(true);
  });

  it('a pixel bomb (900 megapixels, ~2.7 GB decoded) is too-many-pixels from its header alone', async () => {
    const bomb = await makePixelBomb();
    expect(bomb.decodedRgbBytes).toBeGreaterThan(2 * 1024 ** 3);
    const result = await renderDerivative(bomb.data, THUMB, LIMITS);
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'too-many-pixels',
        message: `The PNG declares ${bomb.width}x${bomb.height} = ${bomb.width * bomb.height} pixels; the limit is 50000000 (MAX_SOURCE_PIXELS)`,
      },
      source: { format: 'PNG', width: bomb.width, height: bomb.height },
    });
  });

  it('an ordinary photo over MAX_SOURCE_PIXELS is too-many-pixels; at the limit it renders', async () => {
    const photo = await makePhoto({ width: 400, height: 300, format: 'jpeg' });
    const over = await renderDerivative(photo, THUMB, { ...LIMITS, maxSourcePixels: 400 * 300 - 1 });
    expect(over).toMatchObject({ ok: false, error: { code: 'too-many-pixels' } });
    const at = await renderDerivative(photo, THUMB, { ...LIMITS, maxSourcePixels: 400 * 300 });
    expect(at.ok).toBe(true);
  });

  it.each(['gif', 'webp'] as const)(
    'an animated %s is budgeted by the one frame decoded, not by every frame, and renders its first frame',
    async (format) => {
      const animation = await makeAnimation({ width: 100, height: 80, frames: 4, format });
      // The budget fits one frame (8000 pixels) but not the four frames together (32000).
      const derivative = derivativeOf(
        await renderDerivative(animation, THUMB, { ...LIMITS, maxSourcePixels: 100 * 80 }),
      );
      const metadata = await sharp(derivative.data).metadata();
      expect([metadata.width, metadata.height, metadata.pages ?? 1]).toEqual([100, 80, 1]);
      expect([derivative.source.width, derivative.source.height]).toEqual([100, 80]);
      const over = await renderDerivative(animation, THUMB, { ...LIMITS, maxSourcePixels: 100 * 80 - 1 });
      expect(over).toEqual({
        ok: false,
        error: {
          code: 'too-many-pixels',
          message: `The ${format.toUpperCase()} declares 100x80 (first of 4 frames) = 8000 pixels; the limit is 7999 (MAX_SOURCE_PIXELS)`,
        },
        source: { format: format.toUpperCase(), width: 100, height: 80 },
      });
    },
  );

  it('invalid arguments are caller bugs and throw with the argument named', async () => {
    const photo = await makePhoto({ width: 10, height: 10, format: 'png' });
    await expect(renderDerivative(photo, { width: 0, height: 150 }, LIMITS)).rejects.toThrow(
      'Expected a positive integer for spec.width but received 0',
    );
    await expect(renderDerivative(photo, THUMB, { ...LIMITS, maxSourcePixels: 1.5 })).rejects.toThrow(
      'Expected a positive integer for limits.maxSourcePixels but received 1.5',
    );
  });
});
