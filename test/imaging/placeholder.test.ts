import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makePlaceholder } from '../../src/imaging';
import { makePhoto } from '../support/images';

const LIMITS = { maxSourceBytes: 50 * 1024 * 1024, maxSourcePixels: 50_000_000 };

async function placeholderOf(source: Buffer) {
  const result = await makePlaceholder(source, LIMITS);
  if (!result.ok) throw new Error(`expected a placeholder, got ${JSON.stringify(result.error)}`);
  return result.placeholder;
}

/** Mean R, G, B of an image (alpha ignored). */
async function meanColour(image: Buffer | { data: Uint8Array; width: number; height: number }) {
  const input = Buffer.isBuffer(image)
    ? sharp(image)
    : sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 4 } });
  const { channels } = await input.stats();
  return channels.slice(0, 3).map((channel) => channel.mean);
}

/** `#rrggbb` -> [r, g, b]. */
function rgbOf(hex: string): number[] {
  return [1, 3, 5].map((at) => Number.parseInt(hex.slice(at, at + 2), 16));
}

/** A `width` x `height` image of `major`, with its left `minorFraction` in `minor`. */
async function twoColours(
  width: number,
  height: number,
  major: string,
  minor: string,
  minorFraction: number,
) {
  return sharp({ create: { width, height, channels: 3, background: major } })
    .composite([
      {
        input: {
          create: { width: Math.round(width * minorFraction), height, channels: 3, background: minor },
        },
        left: 0,
        top: 0,
      },
    ])
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** The library's own decoder (an ES module, so loaded with import()). */
let library: typeof import('thumbhash', { with: { 'resolution-mode': 'import' } });
beforeAll(async () => {
  library = await import('thumbhash');
});

describe('makePlaceholder', () => {
  it('a ThumbHash that the library decodes to an image of the source mean colour and aspect ratio', async () => {
    const source = await makePhoto({ width: 3000, height: 2000, format: 'jpeg' });
    const { thumbhash } = await placeholderOf(source);
    expect(thumbhash).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const hash = Buffer.from(thumbhash, 'base64');
    expect(hash.length).toBeLessThanOrEqual(25);

    const decoded = library.thumbHashToRGBA(hash);
    expect(decoded.w / decoded.h).toBeCloseTo(1.5, 0);
    const source3 = await meanColour(source);
    const decoded3 = await meanColour({ data: decoded.rgba, width: decoded.w, height: decoded.h });
    for (const [index, value] of source3.entries())
      expect(Math.abs((decoded3[index] ?? 0) - value)).toBeLessThan(12);
    const average = library.thumbHashToAverageRGBA(hash);
    for (const [index, value] of [average.r, average.g, average.b].entries()) {
      expect(Math.abs(value * 255 - (source3[index] ?? 0))).toBeLessThan(12);
    }
  });

  // Every size and aspect the pipeline accepts: each side of the tiny decode below 7 px used to alias
  // ThumbHash's cosine terms onto the mean (a 1x1 (200,10,10) decoded to (113,74,74)).
  it.each([
    [1, 1],
    [2, 3],
    [3, 3],
    [5, 8],
    [100, 1],
    [1, 500],
    [500, 1],
    [12000, 100],
    [100, 12000],
  ])(
    'a %ix%i source gives a ThumbHash the library decodes to the source mean colour',
    async (width, height) => {
      const source = await sharp({
        create: { width, height, channels: 3, background: { r: 200, g: 10, b: 10 } },
      })
        .png()
        .toBuffer();
      const hash = Buffer.from((await placeholderOf(source)).thumbhash, 'base64');
      const decoded = library.thumbHashToRGBA(hash);
      const mean = await meanColour({ data: decoded.rgba, width: decoded.w, height: decoded.h });
      for (const [index, value] of [200, 10, 10].entries())
        expect(Math.abs((mean[index] ?? 0) - value)).toBeLessThan(6);
      // The decoded picture is as wide or tall as ThumbHash can say (7:1 at most), on the source's side.
      if (width > height) expect(decoded.w).toBeGreaterThan(decoded.h);
      if (height > width) expect(decoded.h).toBeGreaterThan(decoded.w);
    },
  );

  it('a two-colour strip far wider than tall keeps both colours in the mean', async () => {
    const source = await twoColours(12000, 100, '#c81e28', '#145adc', 0.5);
    const hash = Buffer.from((await placeholderOf(source)).thumbhash, 'base64');
    const decoded = library.thumbHashToRGBA(hash);
    const mean = await meanColour({ data: decoded.rgba, width: decoded.w, height: decoded.h });
    const expected = await meanColour(source);
    for (const [index, value] of expected.entries())
      expect(Math.abs((mean[index] ?? 0) - value)).toBeLessThan(12);
  });

  it('the dominant colour of a two-colour image is the larger colour, within the 16-level histogram bin', async () => {
    // 70 % red-ish, 30 % blue-ish; sharp reports the centre of the most populated 16x16x16 bin.
    const source = await twoColours(1200, 800, '#c81e28', '#145adc', 0.3);
    const dominant = rgbOf((await placeholderOf(source)).dominantColor);
    const [r, g, b] = [0xc8, 0x1e, 0x28];
    expect(Math.abs((dominant[0] ?? 0) - r)).toBeLessThanOrEqual(8);
    expect(Math.abs((dominant[1] ?? 0) - g)).toBeLessThanOrEqual(8);
    expect(Math.abs((dominant[2] ?? 0) - b)).toBeLessThanOrEqual(8);
    // And the other way round: the larger area wins, not a fixed colour.
    const swapped = rgbOf(
      (await placeholderOf(await twoColours(1200, 800, '#145adc', '#c81e28', 0.3))).dominantColor,
    );
    expect(Math.abs((swapped[2] ?? 0) - 0xdc)).toBeLessThanOrEqual(8);
    expect(Math.abs((swapped[0] ?? 0) - 0x14)).toBeLessThanOrEqual(8);
  });

  it('is `#rrggbb` lower-case hex', async () => {
    const source = await makePhoto({ width: 400, height: 300, format: 'webp' });
    expect((await placeholderOf(source)).dominantColor).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('keeps transparency in the hash and flattens it onto white for the colour', async () => {
    const transparent = await sharp({
      create: { width: 200, height: 200, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const placeholder = await placeholderOf(transparent);
    expect(placeholder.dominantColor).toBe('#f8f8f8'); // white's bin centre
    expect(library.thumbHashToAverageRGBA(Buffer.from(placeholder.thumbhash, 'base64')).a).toBeLessThan(0.1);
  });

  it('a problem with the file is a typed failure, not a throw', async () => {
    expect(await makePlaceholder(Buffer.from('hello'), LIMITS)).toMatchObject({
      ok: false,
      error: { code: 'not-an-image' },
    });
    const source = await makePhoto({ width: 400, height: 300, format: 'jpeg' });
    expect(await makePlaceholder(source.subarray(0, source.length / 2), LIMITS)).toMatchObject({
      ok: false,
      error: { code: 'corrupt-image' },
    });
  });
});
