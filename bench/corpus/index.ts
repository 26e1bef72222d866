import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { readHeifContainer } from '../../src/imaging/heif/container';
import { describePrimaryImage } from '../../src/imaging/heif/primaryImage';
import { photoLikePixels } from './photoLike';

export type CorpusFormat = 'jpeg' | 'png' | 'webp' | 'heic';

export interface CorpusImage {
  /** Short id used in tables and the chart, e.g. `12MP.jpeg`. */
  name: string;
  file: string;
  format: string;
  width: number;
  height: number;
  megapixels: number;
  bytes: number;
  /** `generated` (deterministic corpus) or `user` (--images). */
  origin: 'generated' | 'user';
}

/** Bump when the generator or the encoder settings change, so a stale cache is never reused. */
const CORPUS_VERSION = 1;
export const CORPUS_FORMATS: readonly CorpusFormat[] = ['jpeg', 'png', 'webp', 'heic'];
const EXTENSIONS: Record<CorpusFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', heic: 'heic' };

/**
 * HEIC needs an HEVC encoder, which no npm package ships: `heif-enc` (Debian `libheif-examples`, libheif with
 * x265) when it is on the PATH. The benchmark never installs it; without it HEIC is left out, with a note.
 */
export function heifEncAvailable(): boolean {
  try {
    execFileSync('heif-enc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // heif-enc exits non-zero for --version on some builds but still exists: only ENOENT means absent.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** HEIC at quality 70 (a phone's camera HEICs are of that order of bytes per pixel), from a lossless PNG. */
async function encodeHeic(pixels: Buffer, width: number, height: number, file: string): Promise<Buffer> {
  const png = `${file}.png`;
  await sharp(pixels, { raw: { width, height, channels: 3 }, limitInputPixels: false })
    .png({ compressionLevel: 1 })
    .toFile(png);
  try {
    execFileSync('heif-enc', ['-q', '70', '-o', `${file}.heic.tmp`, png], { stdio: 'ignore' });
    return await readFile(`${file}.heic.tmp`);
  } finally {
    await rm(png, { force: true });
    await rm(`${file}.heic.tmp`, { force: true });
  }
}

/** 3:2 like most camera sensors. */
export function dimensionsFor(megapixels: number): { width: number; height: number } {
  const width = Math.round(Math.sqrt(megapixels * 1e6 * 1.5) / 8) * 8;
  return { width, height: Math.round(width / 1.5 / 8) * 8 };
}

/** Camera-like encodings of the same pixels: JPEG q92 4:2:0 (as phones save), lossless PNG, WebP q90. */
function encode(pixels: Buffer, width: number, height: number, format: CorpusFormat): Promise<Buffer> {
  const image = sharp(pixels, { raw: { width, height, channels: 3 }, limitInputPixels: false });
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: 92, chromaSubsampling: '4:2:0' }).toBuffer();
    case 'png':
      return image.png({ compressionLevel: 6 }).toBuffer();
    case 'webp':
      return image.webp({ quality: 90 }).toBuffer();
    case 'heic':
      throw new Error('HEIC is encoded by heif-enc (encodeHeic)');
  }
}

async function describe(file: string, origin: CorpusImage['origin']): Promise<CorpusImage | undefined> {
  const data = await readFile(file);
  if (file.endsWith('.heic')) {
    // sharp cannot read HEVC: the container says the size.
    const primary = describePrimaryImage(readHeifContainer(data));
    const megapixels = (primary.width * primary.height) / 1e6;
    const name =
      origin === 'generated'
        ? `${Math.round(megapixels)}MP.heic`
        : `${path.basename(file)} (${megapixels.toFixed(1)}MP)`;
    return {
      name,
      file,
      format: 'heic',
      width: primary.width,
      height: primary.height,
      megapixels,
      bytes: data.length,
      origin,
    };
  }
  try {
    const meta = await sharp(data, { limitInputPixels: false }).metadata();
    if (meta.width === undefined || meta.height === undefined || meta.format === undefined) return undefined;
    // Displayed dimensions: EXIF orientations 5-8 swap width and height.
    const swap = (meta.orientation ?? 1) >= 5;
    const width = swap ? meta.height : meta.width;
    const height = swap ? meta.width : meta.height;
    const megapixels = (width * height) / 1e6;
    const format: string = meta.format;
    const name =
      origin === 'generated'
        ? `${Math.round(megapixels)}MP.${format}`
        : `${path.basename(file)} (${megapixels.toFixed(1)}MP)`;
    return { name, file, format, width, height, megapixels, bytes: data.length, origin };
  } catch {
    return undefined;
  }
}

/** Generates (or reuses) the deterministic corpus: every megapixel tier in each of `formats`. */
export async function generatedCorpus(
  corpusDir: string,
  megapixelTiers: readonly number[],
  log: (line: string) => void,
  formats: readonly CorpusFormat[] = CORPUS_FORMATS,
): Promise<CorpusImage[]> {
  await mkdir(corpusDir, { recursive: true });
  const images: CorpusImage[] = [];
  const withHeic = formats.includes('heic') && heifEncAvailable();
  if (formats.includes('heic') && !withHeic)
    log('corpus: heif-enc not found (apt-get install libheif-examples): HEIC left out');
  for (const megapixels of megapixelTiers) {
    const { width, height } = dimensionsFor(megapixels);
    let pixels: Buffer | undefined;
    for (const format of formats.filter((candidate) => candidate !== 'heic' || withHeic)) {
      const file = path.join(corpusDir, `photo-v${CORPUS_VERSION}-${width}x${height}.${EXTENSIONS[format]}`);
      if (!existsSync(file)) {
        log(`corpus: generating ${path.basename(file)}`);
        pixels ??= photoLikePixels(width, height, 0x5eed0000 + megapixels);
        const encoded =
          format === 'heic'
            ? await encodeHeic(pixels, width, height, file)
            : await encode(pixels, width, height, format);
        // Write then rename, so an interrupted run never leaves a truncated image in the cache.
        await writeFile(`${file}.tmp`, encoded);
        await rename(`${file}.tmp`, file);
      }
      const image = await describe(file, 'generated');
      if (image === undefined) throw new Error(`Generated corpus image ${file} cannot be read back`);
      images.push(image);
    }
  }
  return images;
}

/** Real photos from a folder: every file sharp can identify as JPEG, PNG or WebP. */
export async function userCorpus(dir: string): Promise<CorpusImage[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const images: CorpusImage[] = [];
  for (const entry of entries.filter((item) => item.isFile()).sort((a, b) => a.name.localeCompare(b.name))) {
    const image = await describe(path.join(dir, entry.name), 'user');
    if (image !== undefined && CORPUS_FORMATS.includes(image.format as CorpusFormat)) images.push(image);
  }
  if (images.length === 0) throw new Error(`No JPEG, PNG or WebP images found in ${dir}`);
  return images;
}
