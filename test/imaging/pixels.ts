/** Reading pixels back out of encoded outputs, for assertions on real content. */
import sharp from 'sharp';
import type { Box } from '../../src/imaging';
import type { Rgb } from '../support/images';

export interface DecodedImage {
  width: number;
  height: number;
  channels: number;
  data: Buffer;
}

/** Raw pixels; with `storedNumbers`, the values as stored, without converting an embedded profile to sRGB. */
export async function decode(encoded: Buffer, { storedNumbers = false } = {}): Promise<DecodedImage> {
  const { data, info } = await sharp(encoded, { ignoreIcc: storedNumbers })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data };
}

export function pixelAt(image: DecodedImage, x: number, y: number): number[] {
  const offset = (y * image.width + x) * image.channels;
  return [...image.data.subarray(offset, offset + image.channels)];
}

/** Largest per-channel difference between a pixel's colour and `expected` (lossy codecs shift colours a bit). */
export function colourDistance(pixel: readonly number[], expected: Rgb): number {
  return Math.max(...expected.map((value, index) => Math.abs((pixel[index] ?? 0) - value)));
}

/** The dimensions fitting `width` x `height` inside `box` without enlarging, rounded as libvips rounds. */
export function fitInside(width: number, height: number, box: Box): { width: number; height: number } {
  const scale = Math.min(box.width / width, box.height / height, 1);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
