import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  makePlaceholder,
  renderDerivative,
  renderRendition,
  type RenderResult,
  type SourceLimits,
} from '../../src/imaging';
import type { SizeSpec } from '../../src/domain/types';
import { withoutHeaderJunk } from '../../src/imaging/jpegHeaderJunk';
import { makePhoto } from '../support/images';
import { decode, pixelAt } from './pixels';

/**
 * JPEGs whose entropy-coded data stops before the last row: libjpeg only *warns* ("premature end of data
 * segment") and fills the missing rows with grey. Every corruption is made here from a sharp-encoded photo.
 */
const LIMITS: SourceLimits = { maxSourceBytes: 50 * 1024 * 1024, maxSourcePixels: 50_000_000 };
const BOXES = [
  { width: 150, height: 150 },
  { width: 640, height: 640 },
  { width: 1280, height: 1280 },
];
const EOI = Buffer.from([0xff, 0xd9]);

function marker(jpeg: Buffer, code: number): number {
  const at = jpeg.indexOf(Buffer.from([0xff, code]));
  expect(at, `marker 0xFF${code.toString(16)}`).toBeGreaterThan(0);
  return at;
}

/** The first half of the file, re-terminated with an end-of-image marker, as a cut upload "repaired" by a tool. */
function halfWithEndMarker(jpeg: Buffer): Buffer {
  return Buffer.concat([jpeg.subarray(0, jpeg.length >> 1), EOI]);
}

/** `junk` inserted right before the marker `code` (between two header segments). */
function junkBefore(jpeg: Buffer, code: number, junk = Buffer.from([0x00, 0x11, 0x22])): Buffer {
  const at = marker(jpeg, code);
  return Buffer.concat([jpeg.subarray(0, at), junk, jpeg.subarray(at)]);
}

/** The baseline frame header (SOF0) rewritten to declare `width` x `height`; the scan data is unchanged. */
function declaring(jpeg: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(jpeg);
  const sof = marker(copy, 0xc0);
  copy.writeUInt16BE(height, sof + 5);
  copy.writeUInt16BE(width, sof + 7);
  return copy;
}

function codeOf(result: RenderResult): string {
  return result.ok ? 'ok' : result.error.code;
}

describe('renderDerivative: JPEG data that stops before the last row is corrupt-image', () => {
  it('the first half of a photo plus FF D9 is corrupt-image at every size (the tolerant decode made grey rows)', async () => {
    const photo = await makePhoto({ width: 1600, height: 1200, format: 'jpeg', seed: 3 });
    const damaged = halfWithEndMarker(photo);

    // What the damage looks like to a tolerant decoder: the bottom rows are flat mid-grey, not the photo.
    const tolerant = await decode(await sharp(damaged, { failOn: 'error' }).jpeg().toBuffer());
    expect([tolerant.width, tolerant.height]).toEqual([1600, 1200]);
    const bottom = pixelAt(tolerant, 800, 1190);
    expect(bottom.every((value) => Math.abs(value - 128) <= 2)).toBe(true);

    for (const box of BOXES) {
      const result = await renderDerivative(damaged, box, LIMITS);
      expect(result).toMatchObject({ ok: false, error: { code: 'corrupt-image' } });
      if (!result.ok) expect(result.error.message).toMatch(/premature end of data segment/);
    }
    // The same bytes without the end marker were already refused (truncated).
    const cut = photo.subarray(0, photo.length >> 1);
    expect(codeOf(await renderDerivative(cut, BOXES[0]!, LIMITS))).toBe('corrupt-image');
    // And the intact photo renders.
    expect(codeOf(await renderDerivative(photo, BOXES[0]!, LIMITS))).toBe('ok');
  });

  it('a frame header declaring 7000x7000 over 64x64 of data is corrupt-image, not an all-grey derivative', async () => {
    const small = await makePhoto({ width: 64, height: 64, format: 'jpeg', seed: 4 });
    const inflated = declaring(small, 7000, 7000);
    expect(await sharp(inflated).metadata()).toMatchObject({ width: 7000, height: 7000 });
    const tolerant = await sharp(inflated, { failOn: 'error' })
      .resize(150, 150)
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(tolerant.info).toMatchObject({ width: 150, height: 150 }); // what used to be "completed"

    for (const box of BOXES) {
      expect(codeOf(await renderDerivative(inflated, box, LIMITS))).toBe('corrupt-image');
    }
  });

  it('extraneous bytes between header segments (phone JPEGs) still render, at every size', async () => {
    const photo = await makePhoto({ width: 1600, height: 1200, format: 'jpeg', seed: 5 });
    for (const code of [0xc0, 0xc4, 0xda]) {
      const withJunk = junkBefore(photo, code);
      await expect(sharp(withJunk, { failOn: 'warning' }).toBuffer()).rejects.toThrow(/extraneous bytes/);
      for (const box of BOXES) {
        const result = await renderDerivative(withJunk, box, LIMITS);
        expect(codeOf(result), `junk before 0xFF${code.toString(16)} into ${box.width}`).toBe('ok');
      }
    }
  });

  it('extraneous header bytes do not hide damaged data: junk plus a cut-and-terminated file is corrupt-image', async () => {
    const photo = await makePhoto({ width: 1600, height: 1200, format: 'jpeg', seed: 6 });
    const damaged = halfWithEndMarker(junkBefore(photo, 0xc0));
    expect(codeOf(await renderDerivative(damaged, BOXES[1]!, LIMITS))).toBe('corrupt-image');
  });

  it('a progressive JPEG still renders, and cut and terminated it is corrupt-image', async () => {
    const pixels = await sharp(await makePhoto({ width: 1200, height: 900, format: 'png', seed: 7 }))
      .jpeg({ progressive: true, quality: 90 })
      .toBuffer();
    expect((await sharp(pixels).metadata()).isProgressive).toBe(true);
    expect(codeOf(await renderDerivative(pixels, BOXES[1]!, LIMITS))).toBe('ok');
    expect(codeOf(await renderDerivative(halfWithEndMarker(pixels), BOXES[1]!, LIMITS))).toBe(
      'corrupt-image',
    );
  });
});

describe('renditions and placeholder share the strict decode', () => {
  const RENDITIONS: SizeSpec[] = [
    {
      label: 'thumb',
      width: 150,
      height: 150,
      fit: 'cover',
      position: 'attention',
      formats: ['source', 'webp'],
    },
    { label: 'medium', width: 640, fit: 'inside', formats: ['source', 'webp', 'avif'] },
    { label: 'large', width: 1280, height: 1280, fit: 'inside', formats: ['avif', 'jpeg'] },
  ];

  it('a cut-and-terminated JPEG is corrupt-image for every label (all formats) and for the placeholder', async () => {
    const photo = await makePhoto({ width: 1600, height: 1200, format: 'jpeg', seed: 9 });
    const damaged = halfWithEndMarker(photo);
    for (const spec of RENDITIONS) {
      const result = await renderRendition(damaged, spec, LIMITS);
      expect(result, spec.label).toMatchObject({ ok: false, error: { code: 'corrupt-image' } });
      if (!result.ok) expect(result.error.message).toMatch(/premature end of data segment/);
    }
    expect(await makePlaceholder(damaged, LIMITS)).toMatchObject({
      ok: false,
      error: { code: 'corrupt-image' },
    });
  });

  it('a phone JPEG with extraneous header bytes renders every format and has a placeholder', async () => {
    const withJunk = junkBefore(
      await makePhoto({ width: 1600, height: 1200, format: 'jpeg', seed: 10 }),
      0xc4,
    );
    const medium = await renderRendition(withJunk, RENDITIONS[1]!, LIMITS);
    expect(medium.ok && medium.outputs.map((output) => output.ok && output.derivative.format)).toEqual([
      'jpeg',
      'webp',
      'avif',
    ]);
    expect(await makePlaceholder(withJunk, LIMITS)).toMatchObject({ ok: true });
  });
});

describe('renderDerivative: extraneous bytes after the first scan', () => {
  it('between the scans of a progressive JPEG they cannot be cut out; the file still renders', async () => {
    const progressive = await sharp(await makePhoto({ width: 1200, height: 900, format: 'png', seed: 8 }))
      .jpeg({ progressive: true, quality: 90 })
      .toBuffer();
    const secondScan = progressive.indexOf(Buffer.from([0xff, 0xda]), marker(progressive, 0xda) + 2);
    expect(secondScan).toBeGreaterThan(0);
    const withJunk = Buffer.concat([
      progressive.subarray(0, secondScan),
      Buffer.from([0x00, 0x11, 0x22]),
      progressive.subarray(secondScan),
    ]);
    expect(withoutHeaderJunk(withJunk)).toBe(withJunk);
    await expect(
      sharp(withJunk, { failOn: 'warning', sequentialRead: true })
        .resize(640, 640, { fit: 'inside' })
        .toBuffer(),
    ).rejects.toThrow(/extraneous bytes before marker 0xda/);
    const result = await renderDerivative(withJunk, BOXES[1]!, LIMITS);
    expect(result).toMatchObject({ ok: true, derivative: { width: 640, height: 480 } });
  });
});

describe('withoutHeaderJunk', () => {
  it('removes exactly the inserted bytes and leaves clean files and scan data alone', async () => {
    const photo = await makePhoto({ width: 200, height: 100, format: 'jpeg' });
    expect(withoutHeaderJunk(photo)).toBe(photo);
    expect(withoutHeaderJunk(junkBefore(photo, 0xc0)).equals(photo)).toBe(true);
    expect(withoutHeaderJunk(junkBefore(junkBefore(photo, 0xda), 0xc0)).equals(photo)).toBe(true);
    // Bytes inside the entropy-coded data are pixels, never junk.
    const afterScan = Buffer.concat([photo.subarray(0, photo.length - 2), Buffer.from([1, 2, 3]), EOI]);
    expect(withoutHeaderJunk(afterScan)).toBe(afterScan);
  });

  it('returns what it cannot walk unchanged', () => {
    const notJpeg = Buffer.from('not a jpeg at all');
    expect(withoutHeaderJunk(notJpeg)).toBe(notJpeg);
    const lengthPastEnd = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x10, 0x00, 0x01]);
    expect(withoutHeaderJunk(lengthPastEnd)).toBe(lengthPastEnd);
  });
});
