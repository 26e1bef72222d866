import sharp from 'sharp';
import { detectFormat } from '../../src/imaging';
import { measureCpuMs } from '../cpuTime';
import { heicDecodeCpu, type BenchSize } from './activityPath';
import { encodeLike, type EncoderFormat } from './encoder';

export interface FloorRun {
  /** Decode, auto-orient and resize to the largest box, once. */
  decodeMs: number;
  /** Each size from those pixels, including its encode. */
  sizes: Record<string, number>;
}

/**
 * The CPU floor for libvips: one decode per image (with shrink-on-load toward the largest box), then every
 * size from those pixels, encoded with the same settings as the activity path. Any per-size design pays at
 * least this; the gap to it is what independent decodes cost.
 */
export async function floorRender(
  input: Buffer,
  sizes: readonly BenchSize[],
  format: EncoderFormat,
): Promise<FloorRun> {
  const largest = {
    width: Math.max(...sizes.map((size) => size.width)),
    height: Math.max(...sizes.map((size) => size.height)),
  };
  const heic = detectFormat(input);
  const decoded = await measureCpuMs(async () =>
    // libvips cannot decode HEVC: the floor's one decode of a HEIC is the app's own (libheif in WebAssembly).
    sharp(heic.kind === 'decodable' && heic.format === 'HEIC' ? (await heicDecodeCpu(input)).tiff : input, {
      limitInputPixels: false,
    })
      .rotate()
      .resize({ ...largest, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true }),
  );
  const { data, info } = decoded.result;
  const raw = { width: info.width, height: info.height, channels: info.channels };
  const perSize: Record<string, number> = {};
  for (const size of sizes) {
    const rendered = await measureCpuMs(() =>
      encodeLike(
        sharp(data, { raw }).resize({
          width: size.width,
          height: size.height,
          fit: 'inside',
          withoutEnlargement: true,
        }),
        format,
      ).toBuffer(),
    );
    perSize[size.label] = rendered.cpuMs;
  }
  return { decodeMs: decoded.cpuMs, sizes: perSize };
}
