import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SizeSpec } from '../../src/domain/types';
import {
  encodeRaw,
  renderRendition,
  type EncodeRaw,
  type FormatResult,
  type RawPixels,
  type RenditionResult,
} from '../../src/imaging';
import { coverBox } from '../../src/imaging/geometry';
import { makePhoto, type Rgb } from '../support/images';
import { colourDistance, decode, pixelAt, type DecodedImage } from './pixels';

const LIMITS = { maxSourceBytes: 50 * 1024 * 1024, maxSourcePixels: 50_000_000 };

function rendition(spec: Partial<SizeSpec> & Pick<SizeSpec, 'formats'>): SizeSpec {
  return { label: 'r', fit: 'inside', ...spec };
}

function outputsOf(result: RenditionResult): FormatResult[] {
  if (!result.ok) throw new Error(`expected a rendition, got ${JSON.stringify(result.error)}`);
  return result.outputs;
}

/** The decoded derivatives of a rendition, checking each one's declared dimensions and format against its bytes. */
async function decodedOutputs(result: RenditionResult) {
  const decoded = [];
  for (const output of outputsOf(result)) {
    if (!output.ok) throw new Error(`format ${output.format} failed: ${output.error.message}`);
    const { derivative } = output;
    const metadata = await sharp(derivative.data).metadata();
    // sharp names AVIF's container "heif"; its compression tells AV1 from HEVC.
    const actual =
      metadata.format === 'heif' ? (metadata.compression === 'av1' ? 'avif' : 'hevc') : metadata.format;
    expect([actual, metadata.width, metadata.height]).toEqual([
      derivative.format,
      derivative.width,
      derivative.height,
    ]);
    decoded.push({ derivative, image: await decode(derivative.data) });
  }
  return decoded;
}

/** A flat grey field with a small saturated subject (a textured orange disc) centred at (cx, cy). */
async function fieldWithSubject(width: number, height: number, cx: number, cy: number, radius: number) {
  const pixels = Buffer.alloc(width * height * 3, 128);
  for (let y = Math.max(0, cy - radius); y < Math.min(height, cy + radius); y++) {
    for (let x = Math.max(0, cx - radius); x < Math.min(width, cx + radius); x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 > radius ** 2) continue;
      const stripe = (x + y) % 12 < 6 ? 0 : 40;
      const offset = (y * width + x) * 3;
      pixels[offset] = 250;
      pixels[offset + 1] = 120 + stripe;
      pixels[offset + 2] = 20;
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Pixels of `image` within `tolerance` of `colour` (per channel). */
function countNear(image: DecodedImage, colour: Rgb, tolerance: number): number {
  let count = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (colourDistance(pixelAt(image, x, y), colour) <= tolerance) count++;
    }
  }
  return count;
}

describe('renderRendition: cover fills the box exactly, never enlarging', () => {
  const square = rendition({
    width: 300,
    height: 300,
    fit: 'cover',
    position: 'centre',
    formats: ['source'],
  });

  it.each([
    ['landscape 1200x800', 1200, 800, square, [300, 300]],
    ['portrait 800x1200', 800, 1200, square, [300, 300]],
    ['landscape into a portrait box', 1200, 800, { ...square, width: 200, height: 400 }, [200, 400]],
    ['exactly the box', 300, 300, square, [300, 300]],
    // Smaller than the box: the largest crop of the box's aspect ratio, at the source's own scale.
    ['a small 200x100 source', 200, 100, square, [100, 100]],
    ['a small 100x240 source', 100, 240, square, [100, 100]],
    ['a 500x200 source in a 300x300 box', 500, 200, square, [200, 200]],
    ['a 140x160 source in a 150x150 box', 140, 160, { ...square, width: 150, height: 150 }, [140, 140]],
    ['a 100x100 source in a 400x200 box', 100, 100, { ...square, width: 400, height: 200 }, [100, 50]],
  ] as const)('%s', async (_case, width, height, spec, expected) => {
    const source = await makePhoto({ width, height, format: 'jpeg' });
    const [output] = await decodedOutputs(await renderRendition(source, spec, LIMITS));
    expect([output?.image.width, output?.image.height]).toEqual(expected);
  });

  it('coverBox: exact box when the source covers it, else the box ratio at the source scale', () => {
    expect(coverBox({ width: 150, height: 150 }, 4000, 3000)).toEqual({ width: 150, height: 150 });
    expect(coverBox({ width: 150, height: 150 }, 150, 149)).toEqual({ width: 149, height: 149 });
    expect(coverBox({ width: 1600, height: 900 }, 800, 800)).toEqual({ width: 800, height: 450 });
    expect(coverBox({ width: 10, height: 1 }, 3, 3)).toEqual({ width: 3, height: 1 });
  });
});

describe('renderRendition: inside boxes with one side unbounded', () => {
  it.each([
    ['width only', { width: 300 }, [300, 150]],
    ['height only', { height: 100 }, [200, 100]],
    ['width only, never enlarged', { width: 3000 }, [1000, 500]],
  ] as const)('%s', async (_case, box, expected) => {
    const source = await makePhoto({ width: 1000, height: 500, format: 'jpeg' });
    const [output] = await decodedOutputs(
      await renderRendition(source, rendition({ ...box, formats: ['source'] }), LIMITS),
    );
    expect([output?.image.width, output?.image.height]).toEqual(expected);
  });
});

describe('renderRendition: crop position', () => {
  const ORANGE: Rgb = [250, 140, 20];
  let subjectAtLeftEdge: Buffer;
  beforeAll(async () => {
    // 1600x900 field; the subject (radius 60) sits 100 px from the left edge, far outside a centre crop.
    subjectAtLeftEdge = await fieldWithSubject(1600, 900, 100, 450, 60);
  });
  const thumb = (position: SizeSpec['position']) =>
    rendition({ width: 150, height: 150, fit: 'cover', position, formats: ['source'] });

  it('a centre crop loses a subject near the edge (the control)', async () => {
    const [output] = await decodedOutputs(await renderRendition(subjectAtLeftEdge, thumb('centre'), LIMITS));
    expect(countNear(output!.image, ORANGE, 40)).toBe(0);
  });

  it('attention keeps the small bright subject near the edge inside the square thumb', async () => {
    const [output] = await decodedOutputs(
      await renderRendition(subjectAtLeftEdge, thumb('attention'), LIMITS),
    );
    expect([output?.image.width, output?.image.height]).toEqual([150, 150]);
    // The disc is ~20 px across at 1/6 scale: about 300 px of it, all of them inside the crop.
    expect(countNear(output!.image, ORANGE, 40)).toBeGreaterThan(200);
  });

  it('entropy keeps the only detailed region', async () => {
    const [output] = await decodedOutputs(await renderRendition(subjectAtLeftEdge, thumb('entropy'), LIMITS));
    expect(countNear(output!.image, ORANGE, 40)).toBeGreaterThan(200);
  });
});

describe('renderRendition: formats', () => {
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await makePhoto({ width: 1200, height: 800, format: 'jpeg' });
  });

  it('WebP and AVIF decode with the declared dimensions and content type', async () => {
    const result = await renderRendition(
      jpeg,
      rendition({ width: 640, height: 640, formats: ['source', 'webp', 'avif'] }),
      LIMITS,
    );
    const outputs = await decodedOutputs(result);
    expect(
      outputs.map(({ derivative }) => [
        derivative.format,
        derivative.contentType,
        derivative.extension,
        derivative.width,
        derivative.height,
      ]),
    ).toEqual([
      ['jpeg', 'image/jpeg', 'jpg', 640, 427],
      ['webp', 'image/webp', 'webp', 640, 427],
      ['avif', 'image/avif', 'avif', 640, 427],
    ]);
    // The same picture in each: the encoders differ, the pixels barely.
    const [r = 0, g = 0, b = 0] = pixelAt(outputs[0]!.image, 20, 20);
    for (const { image } of outputs)
      expect(colourDistance(pixelAt(image, 20, 20), [r, g, b])).toBeLessThan(24);
  });

  it.each([[['source', 'jpeg']], [['jpeg', 'source']]] as const)(
    '%j on a JPEG source gives one JPEG',
    async (formats) => {
      const outputs = outputsOf(
        await renderRendition(jpeg, rendition({ width: 150, formats: [...formats] }), LIMITS),
      );
      expect(outputs.map((output) => output.ok && output.derivative.format)).toEqual(['jpeg']);
    },
  );

  it('["source", "jpeg"] on a PNG with alpha gives a PNG and a JPEG flattened onto white', async () => {
    const png = await makePhoto({ width: 300, height: 200, format: 'png', alpha: true });
    const outputs = await decodedOutputs(
      await renderRendition(png, rendition({ width: 150, formats: ['source', 'jpeg'] }), LIMITS),
    );
    expect(outputs.map(({ derivative, image }) => [derivative.format, image.channels])).toEqual([
      ['png', 4],
      ['jpeg', 3],
    ]);
    // Bottom-right quadrant is transparent in the source.
    expect(colourDistance(pixelAt(outputs[1]!.image, 140, 95), [255, 255, 255])).toBeLessThan(8);
  });

  it("a rendition quality replaces the encoders' defaults", async () => {
    const bytes = async (quality: number | undefined) => {
      const [output] = outputsOf(
        await renderRendition(
          jpeg,
          rendition({ width: 640, formats: ['webp'], ...(quality === undefined ? {} : { quality }) }),
          LIMITS,
        ),
      );
      return output?.ok ? output.derivative.data.length : 0;
    };
    const [low, standard, high] = [await bytes(30), await bytes(undefined), await bytes(95)];
    expect(low).toBeLessThan(standard);
    expect(standard).toBeLessThan(high);
  });

  it('a failing format is its own error; the label keeps its other formats; all come from one resize', async () => {
    const seen: RawPixels[] = [];
    const avifFails: EncodeRaw = async (pixels, encoding, quality) => {
      seen.push(pixels);
      if (encoding.format === 'avif') throw new Error('heifsave: Unsupported compression');
      return encodeRaw(pixels, encoding, quality);
    };
    const result = await renderRendition(
      jpeg,
      rendition({ width: 150, height: 150, formats: ['source', 'avif', 'webp'] }),
      LIMITS,
      avifFails,
    );
    const outputs = outputsOf(result);
    expect(
      outputs.map((output) =>
        output.ok ? output.derivative.format : `${output.format}: ${output.error.code}`,
      ),
    ).toEqual(['jpeg', 'avif: internal', 'webp']);
    expect(outputs[1]).toMatchObject({
      ok: false,
      error: { message: 'The avif encoder failed: heifsave: Unsupported compression' },
    });
    // One decode and resize: every encoder got the very same pixels.
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(1);
  });

  it('a height-only box on a very long source is bounded at MAX_EDGE on its open side, so WebP and AVIF fit', async () => {
    const long = await sharp({ create: { width: 30000, height: 10, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const outputs = await decodedOutputs(
      await renderRendition(long, rendition({ height: 10, formats: ['source', 'webp', 'avif'] }), LIMITS),
    );
    expect(outputs.map(({ derivative: d }) => [d.format, d.width, d.height])).toEqual([
      ['png', 16383, 5],
      ['webp', 16383, 5],
      ['avif', 16383, 5],
    ]);
  });

  it("an output over a format's limit is a permanent `too-large-for-format` of that format, not `internal`", async () => {
    // The real encoders on pixels one past WebP's 16383 and HEIF's 16384 limits (geometry never asks for them).
    const tooWide: EncodeRaw = (_pixels, encoding, quality) =>
      encodeRaw(
        { data: Buffer.alloc(16385 * 3, 90), width: 16385, height: 1, channels: 3 },
        encoding,
        quality,
      );
    const outputs = outputsOf(
      await renderRendition(
        jpeg,
        rendition({ width: 150, formats: ['webp', 'avif', 'jpeg'] }),
        LIMITS,
        tooWide,
      ),
    );
    expect(outputs.map((o) => (o.ok ? o.derivative.format : `${o.format}: ${o.error.code}`))).toEqual([
      'webp: too-large-for-format',
      'avif: too-large-for-format',
      'jpeg',
    ]);
  });

  it('AVIF keeps alpha only when the pixels use it (an opaque RGBA PNG or a GIF gives 3 channels)', async () => {
    const opaque = await sharp({ create: { width: 200, height: 100, channels: 4, background: '#4080c0ff' } })
      .png()
      .toBuffer();
    const gif = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#c08040' } })
      .gif()
      .toBuffer();
    const transparent = await makePhoto({ width: 200, height: 100, format: 'png', alpha: true });
    const channels = [];
    for (const source of [opaque, gif, transparent]) {
      const [avif] = outputsOf(
        await renderRendition(source, rendition({ width: 100, formats: ['avif'] }), LIMITS),
      );
      if (!avif?.ok) throw new Error('expected an AVIF');
      const metadata = await sharp(avif.derivative.data).metadata();
      channels.push([metadata.channels, metadata.hasAlpha]);
    }
    expect(channels).toEqual([
      [3, false],
      [3, false],
      [4, true],
    ]);
  });

  it('a problem with the file fails the whole rendition with its code', async () => {
    const result = await renderRendition(
      Buffer.from('not an image at all'),
      rendition({ width: 150, formats: ['webp', 'avif'] }),
      LIMITS,
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'not-an-image' } });
  });
});
