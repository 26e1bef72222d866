import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { coverBox } from '../../src/imaging/geometry';

/** The shape of site/pictureChoice.js (plain browser JavaScript, loaded as the page loads it). */
interface Variant {
  label: string;
  format: string;
  width: number;
  height: number;
  contentType: string;
  url: string;
  sizeBytes: number;
}
interface Chosen {
  sources: Array<{ type: string; srcset: string }>;
  img: { src: string; srcset: string; width: number; height: number };
}
interface PictureChoice {
  hasShape: (variant: { width: number; height: number }, shape: { width: number; height: number }) => boolean;
  choosePicture: (variants: Variant[], source?: { width: number; height: number }) => Chosen | null;
}

const root = join(__dirname, '../..');
const MODULE = join(root, 'site/pictureChoice.js');
let choice: PictureChoice;
beforeAll(async () => {
  // A path in a variable: the module is the browser's, with no TypeScript declaration.
  const path = MODULE;
  choice = (await import(path)) as PictureChoice;
});

function variant(label: string, format: string, width: number, height: number, sizeBytes = width): Variant {
  return {
    label,
    format,
    width,
    height,
    contentType: `image/${format}`,
    url: `${label}.${format}`,
    sizeBytes,
  };
}

describe('site/pictureChoice.js: which variants a <picture> lists', () => {
  it('is shown whole in the README, so a page copying it builds what the site builds', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain('```js\n' + readFileSync(MODULE, 'utf8') + '```\n');
  });

  it("counts every size real sharp gives for an `inside` box as the source's shape, and no crop of another", async () => {
    const sources = [
      [4000, 2667],
      [2, 3],
      [999, 333],
      [123, 457],
      [12000, 100],
      [641, 427],
    ] as const;
    const boxes = [
      { width: 150, height: 150 },
      { width: 640, height: 640 },
      { width: 1280, height: 1280 },
      { width: 300 },
      { height: 300 },
      { width: 77, height: 77 },
      { width: 1, height: 1 },
    ];
    for (const [width, height] of sources) {
      const source = await sharp({ create: { width, height, channels: 3, background: '#808080' } })
        .jpeg()
        .toBuffer();
      for (const box of boxes) {
        const { info } = await sharp(source)
          .resize({ ...box, fit: 'inside', withoutEnlargement: true })
          .jpeg()
          .toBuffer({ resolveWithObject: true });
        expect(choice.hasShape(info, { width, height }), `${width}x${height} in ${JSON.stringify(box)}`).toBe(
          true,
        );
      }
    }
    // Crops one pixel off the source's shape, at the scales where a fixed 1-px tolerance let them in.
    expect(choice.hasShape({ width: 2, height: 2 }, { width: 2, height: 3 })).toBe(false);
    expect(choice.hasShape({ width: 3, height: 3 }, { width: 3, height: 4 })).toBe(false);
    expect(choice.hasShape({ width: 300, height: 300 }, { width: 1200, height: 800 })).toBe(false);
    expect(choice.hasShape({ width: 200, height: 100 }, { width: 1200, height: 800 })).toBe(false);
  });

  it('lists one shape when no variant has the source shape: the closest aspect ratio, never a mix', () => {
    const chosen = choice.choosePicture(
      [
        variant('sq', 'jpeg', 300, 300),
        variant('sq', 'webp', 300, 300),
        variant('ent', 'jpeg', 200, 100),
        variant('ent', 'webp', 200, 100),
      ],
      { width: 1200, height: 800 },
    );
    // 2:1 is closer to 3:2 than 1:1 is (|ln(2/1.5)| 0.29 against |ln(1/1.5)| 0.41).
    expect(chosen).toEqual({
      sources: [{ type: 'image/webp', srcset: 'ent.webp 200w' }],
      img: { src: 'ent.jpeg', srcset: 'ent.jpeg 200w', width: 200, height: 100 },
    });
    // A portrait source picks the square over the 2:1 strip.
    expect(
      choice.choosePicture([variant('sq', 'jpeg', 300, 300), variant('ent', 'jpeg', 200, 100)], {
        width: 800,
        height: 1200,
      })?.img,
    ).toMatchObject({ src: 'sq.jpeg', width: 300, height: 300 });
  });

  it("keeps a tiny source's own shape: a 2x2 crop of a 2x3 source is not its shape", () => {
    const chosen = choice.choosePicture(
      [
        variant('thumb', 'jpeg', 2, 2, 10),
        variant('medium', 'jpeg', 2, 3, 20),
        variant('large', 'jpeg', 2, 3, 20),
      ],
      { width: 2, height: 3 },
    );
    expect(chosen?.img).toEqual({ src: 'medium.jpeg', srcset: 'medium.jpeg 2w', width: 2, height: 3 });
  });

  it('lists each width once (the smallest file): a repeated descriptor makes a srcset invalid', () => {
    const chosen = choice.choosePicture(
      [
        variant('ent', 'jpeg', 200, 100, 900),
        variant('medium', 'jpeg', 200, 100, 800),
        variant('wide', 'jpeg', 200, 100, 950),
      ],
      { width: 200, height: 100 },
    );
    expect(chosen?.img.srcset).toBe('medium.jpeg 200w');
  });

  it('keeps alpha: a transparent picture falls back to its PNG, not a JPEG flattened onto white', () => {
    const chosen = choice.choosePicture(
      [
        variant('thumb', 'jpeg', 150, 100),
        variant('thumb', 'png', 150, 100),
        variant('large', 'jpeg', 1280, 853),
        variant('large', 'png', 1280, 853),
        variant('large', 'webp', 1280, 853),
      ],
      { width: 3000, height: 2000 },
    );
    // WebP exists at 1280 only, not at every width of the <img>: no <source> (see the next test).
    expect(chosen).toEqual({
      sources: [],
      img: { src: 'large.png', srcset: 'thumb.png 150w, large.png 1280w', width: 1280, height: 853 },
    });
    expect(choice.choosePicture([], { width: 10, height: 10 })).toBeNull();
  });

  it("lists a <source> only for a format at every width the <img> offers: a thumb's AVIF never fills a wide slot", () => {
    const plan = [
      variant('thumb', 'jpeg', 150, 100),
      variant('thumb', 'webp', 150, 100),
      variant('thumb', 'avif', 150, 100),
      variant('medium', 'jpeg', 640, 427),
      variant('large', 'jpeg', 1280, 853),
    ];
    expect(choice.choosePicture(plan, { width: 3000, height: 2000 })).toEqual({
      sources: [],
      img: {
        src: 'large.jpeg',
        srcset: 'thumb.jpeg 150w, medium.jpeg 640w, large.jpeg 1280w',
        width: 1280,
        height: 853,
      },
    });
    // AVIF at every width is listed; WebP missing at 640 is not.
    const full = choice.choosePicture(
      [
        ...plan,
        variant('medium', 'avif', 640, 427),
        variant('large', 'avif', 1280, 853),
        variant('large', 'webp', 1280, 853),
      ],
      { width: 3000, height: 2000 },
    );
    expect(full?.sources).toEqual([
      { type: 'image/avif', srcset: 'thumb.avif 150w, medium.avif 640w, large.avif 1280w' },
    ]);
  });

  it('a 1-px-wide source (1x3000) shows its 1x1280 resize, not the 1x1 square crop that shares its width', async () => {
    // Real sizes: a 150x150 `cover` never enlarges, so its crop is `coverBox` (1x1); `inside` boxes keep width 1.
    const source = await sharp({ create: { width: 1, height: 3000, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const size = async (box: { width: number; height: number }, fit: 'cover' | 'inside') =>
      (
        await sharp(source)
          .resize({ ...box, fit, withoutEnlargement: true })
          .jpeg()
          .toBuffer({ resolveWithObject: true })
      ).info;
    const thumb = await size(coverBox({ width: 150, height: 150 }, 1, 3000), 'cover');
    const medium = await size({ width: 640, height: 640 }, 'inside');
    const large = await size({ width: 1280, height: 1280 }, 'inside');
    expect([thumb.width, thumb.height, medium.width, medium.height, large.width, large.height]).toEqual([
      1, 1, 1, 640, 1, 1280,
    ]);
    const chosen = choice.choosePicture(
      [
        variant('thumb', 'jpeg', thumb.width, thumb.height, 300),
        variant('medium', 'jpeg', medium.width, medium.height, 900),
        variant('large', 'jpeg', large.width, large.height, 1500),
      ],
      { width: 1, height: 3000 },
    );
    expect(chosen?.img).toEqual({ src: 'large.jpeg', srcset: 'large.jpeg 1w', width: 1, height: 1280 });
  });
});
