import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { ssim } from 'ssim.js';
import { encodeAs } from '../../src/imaging/encode';
import { AVIF_SETTINGS, JPEG_SETTINGS, WEBP_SETTINGS } from '../../src/imaging/encoderSettings';
import { decodeSource } from '../../src/imaging/decodeSource';
import { resizeOptions } from '../../src/imaging/geometry';
import { AVIF_OUTPUT, JPEG_OUTPUT, WEBP_OUTPUT } from '../../src/imaging/outputEncoding';
import type { OutputEncoding, RawPixels } from '../../src/imaging/types';
import type { CorpusImage } from '../corpus';
import { BENCH_LIMITS, type BenchSize } from '../core/activityPath';
import { measureCpuMs } from '../cpuTime';
import { median } from '../stats';

/*
 * The renditions section of `npm run bench`: what each output format costs per size, in CPU, bytes and
 * visual quality, so the WebP and AVIF settings are chosen by measurement.
 * - Reference: the source decoded and resized ONCE to raw 8-bit sRGB pixels for the box, exactly as a
 *   `resize-{label}` activity does (renderRendition); every encoder gets those pixels, so the score measures
 *   the encoder alone, against the losslessly resized source.
 * - Quality: SSIM (ssim.js, Weber's fast variant, luma per ITU-R BT.601, full resolution: `downsample: false`,
 *   so small artefacts in a thumbnail are not averaged away) of the decoded derivative against the reference.
 * - CPU: process CPU time (all threads) of one encode, sharp.concurrency(1), median of `repetitions`.
 * - Choice: "equal visual quality" is the SSIM of the app's JPEG (quality 82) at the same size. For WebP and
 *   AVIF, among candidates that encode the three sizes within MAX_ENCODE_CPU_MS and take no more bytes in all
 *   than that JPEG (a WebP or AVIF larger than the JPEG beside it saves a page nothing): the fewest bytes among
 *   those reaching the JPEG's SSIM at EVERY size; when none does, the one closest to it (highest minimum SSIM
 *   margin). Ties within 2 % of bytes go to the lower CPU.
 */

/**
 * CPU budget of one format's encodes for the three default sizes of the 12 MP bench photo: 1 s. The pipeline's
 * promise is every size within a second or two of the upload, and the three sizes' JPEG path (decodes,
 * resizes, encodes) takes ~0.2 s; an encoder needing more than 1 s of CPU breaks it. It also separates libheif's
 * efforts cleanly (effort 0-2: under 0.4 s at every quality; effort 4: over 2 s), so timing noise cannot flip it.
 */
export const MAX_ENCODE_CPU_MS = 1000;

export interface Candidate {
  format: 'jpeg' | 'webp' | 'avif';
  quality: number;
  effort?: number;
}

export interface CandidateFigures extends Candidate {
  size: string;
  width: number;
  height: number;
  cpuMs: number;
  bytes: number;
  ssim: number;
}

export interface RenditionsResult {
  image: string;
  repetitions: number;
  /** CPU of the one decode + resize to raw per size (shared by all formats of a label). */
  decodeResizeMs: Record<string, number>;
  grid: CandidateFigures[];
  /** The app's settings (encoderSettings.ts) measured, per size and format. */
  app: CandidateFigures[];
  /** The measured choice per format (what encoderSettings.ts should say), and whether it matches it. */
  chosen: Array<{ candidate: Candidate; totalBytes: number; totalCpuMs: number; minSsimMargin: number }>;
  /** What adding `avif` to the default three sizes costs per image: CPU ms per size and in all. */
  avifCost: { perSizeMs: Record<string, number>; totalMs: number; vsJpegTotalMs: number };
}

/**
 * The grid: the app's JPEG; WebP at quality 75-95, effort 2 and 4 (sharp's default); AVIF at quality 50-90 with
 * effort 0, 2 and 4 (sharp's default). The AVIF range reaches past the JPEG's SSIM at every size for each
 * effort, so the rule ("fewest bytes at the JPEG's SSIM at every size") always has candidates to choose from.
 */
export const CANDIDATES: readonly Candidate[] = [
  { format: 'jpeg', quality: JPEG_SETTINGS.quality ?? 82 },
  ...[75, 80, 85, 90, 95].flatMap((quality) =>
    [2, 4].map((effort) => ({ format: 'webp' as const, quality, effort })),
  ),
  ...[50, 55, 60, 65, 70, 75, 80, 85, 90].flatMap((quality) =>
    [0, 2, 4].map((effort) => ({ format: 'avif' as const, quality, effort })),
  ),
];

const OUTPUTS: Record<Candidate['format'], OutputEncoding> = {
  jpeg: JPEG_OUTPUT,
  webp: WEBP_OUTPUT,
  avif: AVIF_OUTPUT,
};

function encoder(pixels: RawPixels, candidate: Candidate): sharp.Sharp {
  const { data, width, height, channels } = pixels;
  const pipeline = sharp(data, { raw: { width, height, channels } });
  if (candidate.format === 'jpeg') return encodeAs(pipeline, OUTPUTS.jpeg, candidate.quality);
  // The app's settings with this candidate's quality and effort.
  return candidate.format === 'webp'
    ? pipeline.webp({ ...WEBP_SETTINGS, quality: candidate.quality, effort: candidate.effort })
    : pipeline.avif({ ...AVIF_SETTINGS, quality: candidate.quality, effort: candidate.effort });
}

async function rgba(
  input: Buffer | RawPixels,
): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const image = Buffer.isBuffer(input)
    ? sharp(input)
    : sharp(input.data, { raw: { width: input.width, height: input.height, channels: input.channels } });
  const { data, info } = await image.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

function same(a: Candidate, b: Candidate): boolean {
  return a.format === b.format && a.quality === b.quality && (a.effort ?? 0) === (b.effort ?? 0);
}

/** The app's own settings, as a candidate. */
export const APP_CANDIDATES: readonly Candidate[] = [
  { format: 'jpeg', quality: JPEG_SETTINGS.quality ?? 82 },
  { format: 'webp', quality: WEBP_SETTINGS.quality ?? 80, effort: WEBP_SETTINGS.effort ?? 4 },
  { format: 'avif', quality: AVIF_SETTINGS.quality ?? 50, effort: AVIF_SETTINGS.effort ?? 4 },
];

/** Measures every candidate at every size on one source image (see the comment at the top for the method). */
export async function measureRenditions(
  image: CorpusImage,
  sizes: readonly BenchSize[],
  repetitions: number,
  log: (line: string) => void,
  grid: readonly Candidate[] = CANDIDATES,
): Promise<RenditionsResult> {
  const source = await readFile(image.file);
  const previousConcurrency = sharp.concurrency();
  sharp.concurrency(1);
  const figures: CandidateFigures[] = [];
  const decodeResizeMs: Record<string, number> = {};
  const candidates = [...grid, ...APP_CANDIDATES.filter((app) => !grid.some((c) => same(c, app)))];
  try {
    for (const size of sizes) {
      const spec = {
        label: size.label,
        width: size.width,
        height: size.height,
        fit: 'inside' as const,
        formats: [],
      };
      const resizeRuns = [];
      let pixels: RawPixels | undefined;
      for (let run = 0; run < repetitions; run++) {
        const { result, cpuMs } = await measureCpuMs(() =>
          decodeSource(source, BENCH_LIMITS)
            .resize(resizeOptions(spec, image.width, image.height))
            .toColourspace('srgb')
            .raw()
            .toBuffer({ resolveWithObject: true }),
        );
        resizeRuns.push(cpuMs);
        pixels = {
          data: result.data,
          width: result.info.width,
          height: result.info.height,
          channels: result.info.channels,
        };
      }
      if (pixels === undefined) throw new Error('no repetitions');
      decodeResizeMs[size.label] = median(resizeRuns);
      const reference = await rgba(pixels);
      for (const candidate of candidates) {
        const runs = [];
        let encoded: Buffer | undefined;
        for (let run = 0; run < repetitions; run++) {
          const { result, cpuMs } = await measureCpuMs(() => encoder(pixels, candidate).toBuffer());
          runs.push(cpuMs);
          encoded = result;
        }
        if (encoded === undefined) throw new Error('no repetitions');
        const score = ssim(reference, await rgba(encoded), { downsample: false }).mssim;
        figures.push({
          ...candidate,
          size: size.label,
          width: pixels.width,
          height: pixels.height,
          cpuMs: median(runs),
          bytes: encoded.length,
          ssim: score,
        });
      }
      log(`renditions: ${size.label} measured`);
    }
  } finally {
    sharp.concurrency(previousConcurrency);
  }

  const figuresOf = (candidate: Candidate) => figures.filter((entry) => same(entry, candidate));
  const jpegSsim = new Map(
    figuresOf(APP_CANDIDATES[0] as Candidate).map((entry) => [entry.size, entry.ssim]),
  );
  const chosen = (['jpeg', 'webp', 'avif'] as const).map((format) => {
    const options = candidates
      .filter((candidate) => candidate.format === format)
      .map((candidate) => {
        const figures = figuresOf(candidate);
        return {
          candidate,
          totalBytes: figures.reduce((total, entry) => total + entry.bytes, 0),
          totalCpuMs: figures.reduce((total, entry) => total + entry.cpuMs, 0),
          minSsimMargin: Math.min(...figures.map((entry) => entry.ssim - (jpegSsim.get(entry.size) ?? 1))),
        };
      });
    const jpegBytes = figuresOf(APP_CANDIDATES[0] as Candidate).reduce(
      (total, entry) => total + entry.bytes,
      0,
    );
    const affordable = options.filter(
      (option) =>
        option.totalCpuMs <= MAX_ENCODE_CPU_MS && (format === 'jpeg' || option.totalBytes <= jpegBytes),
    );
    const candidatesLeft = affordable.length > 0 ? affordable : options;
    const equalQuality = candidatesLeft.filter((option) => option.minSsimMargin >= 0);
    const pool =
      equalQuality.length > 0
        ? equalQuality
        : [
            candidatesLeft.reduce((best, option) =>
              option.minSsimMargin > best.minSsimMargin ? option : best,
            ),
          ];
    const fewestBytes = Math.min(...pool.map((option) => option.totalBytes));
    return pool
      .filter((option) => option.totalBytes <= fewestBytes * 1.02)
      .reduce((best, option) => (option.totalCpuMs < best.totalCpuMs ? option : best));
  });

  const appFigures = APP_CANDIDATES.flatMap(figuresOf);
  const avif = appFigures.filter((entry) => entry.format === 'avif');
  const jpeg = appFigures.filter((entry) => entry.format === 'jpeg');
  const avifTotal = avif.reduce((total, entry) => total + entry.cpuMs, 0);
  const jpegTotal = jpeg.reduce((total, entry) => total + entry.cpuMs, 0);
  return {
    image: image.name,
    repetitions,
    decodeResizeMs,
    grid: figures,
    app: appFigures,
    chosen,
    avifCost: {
      perSizeMs: Object.fromEntries(avif.map((entry) => [entry.size, entry.cpuMs])),
      totalMs: avifTotal,
      vsJpegTotalMs: jpegTotal,
    },
  };
}
