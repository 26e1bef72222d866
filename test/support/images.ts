/**
 * Image generators for tests (and the benchmark corpus): real encoders (sharp/libvips) on deterministic,
 * photo-like pixels, so every test exercises the decoder paths real uploads take.
 */
import { once } from 'node:events';
import { createDeflate, crc32 } from 'node:zlib';
import sharp from 'sharp';

export type PhotoFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';
export type ExifOrientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;
export const EXIF_ORIENTATIONS: readonly ExifOrientation[] = [1, 2, 3, 4, 5, 6, 7, 8];

export interface PhotoOptions {
  /** Width as DISPLAYED (after the EXIF orientation is applied). */
  width: number;
  /** Height as DISPLAYED (after the EXIF orientation is applied). */
  height: number;
  format: PhotoFormat;
  /** Adds an alpha channel; the bottom-right quadrant is fully transparent (see `TRANSPARENT_REGION`). */
  alpha?: boolean;
  /**
   * EXIF orientation tag to write. The pixels are stored transformed the way a camera stores them, so the
   * image only looks upright (markers at the top corners) once a viewer applies the tag. JPEG, PNG, WebP
   * and TIFF only (sharp writes no orientation to GIF/AVIF).
   */
  orientation?: ExifOrientation;
  /** Writes camera EXIF (Make, Model, DateTimeOriginal) and, with `gps`, a GPS IFD; with `xmp`, an XMP packet. */
  exif?: { gps?: boolean; xmp?: boolean };
  /** JPEG only: encode as 4-channel CMYK (as print workflows and some scanners produce). */
  cmyk?: boolean;
  /**
   * Convert the pixels to Display P3 and embed that ICC profile, as iPhones and recent cameras do; a viewer that
   * honours the profile shows the same colours as the untagged sRGB version.
   */
  icc?: 'p3';
  /** PNG/TIFF only: 16 bits per sample. */
  sixteenBit?: boolean;
  /** JPEG/WebP/AVIF quality; default 90. */
  quality?: number;
  /** Seed of the noise; the same options and seed give the same pixels. Default 1. */
  seed?: number;
  /** Draw the corner markers (default true). */
  markers?: boolean;
}

export type Rgb = readonly [number, number, number];

/** Markers drawn at the displayed top corners; together they pin down all 8 orientations (incl. mirrors). */
export const MARKERS = {
  topLeft: [230, 20, 20] as Rgb,
  topRight: [20, 200, 40] as Rgb,
  /** Marker edge as a fraction of the shorter displayed side. */
  fraction: 0.2,
} as const;

/** With `alpha: true`, pixels with x >= width/2 and y >= height/2 (displayed) have alpha 0; the rest 255. */
export const TRANSPARENT_REGION = 'bottom-right quadrant';

/** EXIF tags written by `exif: {...}`, so tests can look for them in outputs. */
export const CAMERA_EXIF = { Make: 'TestCam', Model: 'Generator 1', Copyright: 'test/support/images.ts' };
export const GPS_EXIF = {
  GPSLatitudeRef: 'N',
  GPSLatitude: '47/1 36/1 0/1',
  GPSLongitudeRef: 'E',
  GPSLongitude: '122/1 19/1 0/1',
};
export const XMP_MARKER = 'test-support-xmp';

/** A small deterministic PRNG (mulberry32): photo-like noise without Math.random. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Upright pixels: diagonal gradients, a few hard edges (stripes, a disc), noise, and the corner markers. */
function drawUpright(width: number, height: number, channels: 3 | 4, options: PhotoOptions): Buffer {
  const random = prng(options.seed ?? 1);
  const pixels = Buffer.alloc(width * height * channels);
  const markerEdge = Math.max(1, Math.floor(Math.min(width, height) * MARKERS.fraction));
  const drawMarkers = options.markers ?? true;
  const cx = width * 0.62;
  const cy = height * 0.45;
  const radius2 = (Math.min(width, height) * 0.22) ** 2;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const offset = (y * width + x) * channels;
      const noise = (random() - 0.5) * 36;
      let r = (x / width) * 200 + 30 + noise;
      let g = (y / height) * 160 + 50 + noise;
      let b = ((x + y) / (width + height)) * 120 + 90 + noise;
      if (Math.floor(x / Math.max(4, width / 24)) % 2 === 0 && y > height * 0.7) {
        r *= 0.55;
        g *= 0.55;
        b *= 0.55;
      }
      if ((x - cx) ** 2 + (y - cy) ** 2 < radius2) {
        r = 250 - noise;
        g = 230 - noise;
        b = 120 + noise;
      }
      if (drawMarkers && y < markerEdge && x < markerEdge) [r, g, b] = MARKERS.topLeft;
      if (drawMarkers && y < markerEdge && x >= width - markerEdge) [r, g, b] = MARKERS.topRight;
      pixels[offset] = clampByte(r);
      pixels[offset + 1] = clampByte(g);
      pixels[offset + 2] = clampByte(b);
      if (channels === 4) pixels[offset + 3] = x >= width / 2 && y >= height / 2 ? 0 : 255;
    }
  }
  return pixels;
}

function clampByte(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}

/**
 * Where the displayed pixel (dx, dy) of a `displayWidth` x `displayHeight` image is stored, for an image whose
 * EXIF orientation is `orientation` (EXIF 2.32, tag 0x0112). Stored dimensions are swapped for 5-8.
 */
export function storedPosition(
  orientation: ExifOrientation,
  dx: number,
  dy: number,
  displayWidth: number,
  displayHeight: number,
): [number, number] {
  const w = displayWidth;
  const h = displayHeight;
  switch (orientation) {
    case 1:
      return [dx, dy];
    case 2: // displayed = stored mirrored left-right
      return [w - 1 - dx, dy];
    case 3: // displayed = stored rotated 180
      return [w - 1 - dx, h - 1 - dy];
    case 4: // displayed = stored mirrored top-bottom
      return [dx, h - 1 - dy];
    case 5: // displayed = stored transposed (mirrored about the main diagonal)
      return [dy, dx];
    case 6: // displayed = stored rotated 90 clockwise
      return [dy, w - 1 - dx];
    case 7: // displayed = stored transversed (mirrored about the anti-diagonal)
      return [h - 1 - dy, w - 1 - dx];
    case 8: // displayed = stored rotated 90 counter-clockwise
      return [h - 1 - dy, dx];
  }
}

/** Re-lays upright pixels the way a camera stores them for `orientation`. */
function storeForOrientation(
  upright: Buffer,
  width: number,
  height: number,
  channels: number,
  orientation: ExifOrientation,
): { pixels: Buffer; width: number; height: number } {
  const swapped = orientation >= 5;
  const storedWidth = swapped ? height : width;
  const stored = Buffer.alloc(upright.length);
  for (let dy = 0; dy < height; dy += 1) {
    for (let dx = 0; dx < width; dx += 1) {
      const [sx, sy] = storedPosition(orientation, dx, dy, width, height);
      upright.copy(
        stored,
        (sy * storedWidth + sx) * channels,
        (dy * width + dx) * channels,
        (dy * width + dx + 1) * channels,
      );
    }
  }
  return { pixels: stored, width: storedWidth, height: swapped ? width : height };
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** A photo-like image encoded by sharp in `format`, with the requested orientation, metadata and depth. */
export async function makePhoto(options: PhotoOptions): Promise<Buffer> {
  const { width, height, format } = options;
  expect(Number.isInteger(width) && width > 0, `Expected a positive integer for width but received ${width}`);
  expect(
    Number.isInteger(height) && height > 0,
    `Expected a positive integer for height but received ${height}`,
  );
  expect(!options.cmyk || format === 'jpeg', `Expected format jpeg for cmyk but received ${format}`);
  expect(
    (options.orientation ?? 1) === 1 || ['jpeg', 'png', 'webp', 'tiff'].includes(format),
    `Expected format jpeg, png, webp or tiff for orientation but received ${format}`,
  );
  expect(
    !options.sixteenBit || format === 'png' || format === 'tiff',
    `Expected format png or tiff for sixteenBit but received ${format}`,
  );
  const channels = options.alpha ? 4 : 3;
  const orientation = options.orientation ?? 1;
  const stored = storeForOrientation(
    drawUpright(width, height, channels, options),
    width,
    height,
    channels,
    orientation,
  );
  let image = sharp(stored.pixels, { raw: { width: stored.width, height: stored.height, channels } });
  // libvips writes the Orientation tag from the image's own orientation field, not from withExif's IFD0.
  if (orientation !== 1) image = image.withMetadata({ orientation });
  if (options.sixteenBit) image = image.toColourspace('rgb16');
  // Converting through the CMYK ICC profile (and embedding it) is what print-workflow JPEGs look like.
  if (options.cmyk) image = image.withIccProfile('cmyk');
  else if (options.icc !== undefined) image = image.withIccProfile(options.icc);
  if (options.exif !== undefined) {
    image = image.withExifMerge({
      IFD0: CAMERA_EXIF,
      ...(options.exif.gps ? { IFD3: GPS_EXIF } : {}),
    });
    if (options.exif.xmp) {
      image = image.withXmp(
        `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">` +
          `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description ` +
          `xmlns:dc="http://purl.org/dc/elements/1.1/" dc:source="${XMP_MARKER}"/></rdf:RDF></x:xmpmeta>` +
          `<?xpacket end="w"?>`,
      );
    }
  }

  const quality = options.quality ?? 90;
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality }).toBuffer();
    case 'png':
      return image.png({ compressionLevel: 6 }).toBuffer();
    case 'webp':
      return image.webp({ quality }).toBuffer();
    case 'gif':
      return image.gif().toBuffer();
    case 'tiff':
      return image.tiff({ compression: 'lzw' }).toBuffer();
    case 'avif':
      return image.avif({ quality: Math.min(quality, 70), effort: 0 }).toBuffer();
  }
}

/** An animated GIF or WebP of `frames` photo-like frames (each with its own noise seed). */
export async function makeAnimation(options: {
  width: number;
  height: number;
  frames: number;
  format: 'gif' | 'webp';
}): Promise<Buffer> {
  const { width, height, frames, format } = options;
  expect(
    Number.isInteger(frames) && frames > 0,
    `Expected a positive integer for frames but received ${frames}`,
  );
  const stills = await Promise.all(
    Array.from({ length: frames }, (_, index) =>
      makePhoto({ width, height, format: 'png', seed: index + 1 }),
    ),
  );
  const animation = sharp(stills, { join: { animated: true } });
  return (format === 'gif' ? animation.gif() : animation.webp({ quality: 90 })).toBuffer();
}

/** Bytes that are plainly not an image (a text file), whatever name or content type they arrive with. */
export function makeNonImage(text = 'name,likes\ncat.jpg,42\nThis is a CSV file, not an image.\n'): Buffer {
  return Buffer.from(text, 'utf8');
}

/** The first `fraction` (0..1) of `buffer`, as an interrupted upload leaves it. */
export function truncate(buffer: Buffer, fraction: number): Buffer {
  expect(fraction >= 0 && fraction <= 1, `Expected a fraction between 0 and 1 but received ${fraction}`);
  return Buffer.from(buffer.subarray(0, Math.floor(buffer.length * fraction)));
}

export interface PixelBomb {
  data: Buffer;
  width: number;
  height: number;
  /** Bytes the decoded pixels would need as 8-bit RGB, the way a resize pipeline would hold them. */
  decodedRgbBytes: number;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * A decompression bomb: a complete, valid 1-bit greyscale PNG of `side` x `side` white-on-black nothing that
 * compresses to a few hundred KB but declares (default) 30000 x 30000 = 900 megapixels, i.e. ~2.7 GB as RGB.
 * Built by streaming zeros through zlib, so generating it needs no large buffer.
 */
export async function makePixelBomb(side = 30_000): Promise<PixelBomb> {
  const rowBytes = 1 + Math.ceil(side / 8); // filter byte + packed 1-bit samples
  const deflate = createDeflate({ level: 9 });
  const compressed: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => compressed.push(chunk));
  const rowsPerWrite = Math.max(1, Math.floor((1 << 20) / rowBytes));
  const block = Buffer.alloc(rowsPerWrite * rowBytes); // all zeros: filter 0, black pixels; never mutated
  for (let row = 0; row < side; row += rowsPerWrite) {
    const rows = Math.min(rowsPerWrite, side - row);
    if (!deflate.write(rows === rowsPerWrite ? block : block.subarray(0, rows * rowBytes))) {
      await once(deflate, 'drain');
    }
  }
  deflate.end();
  await once(deflate, 'end');

  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.writeUInt8(1, 8); // bit depth
  header.writeUInt8(0, 9); // colour type: greyscale
  const data = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', Buffer.concat(compressed)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
  return { data, width: side, height: side, decodedRgbBytes: side * side * 3 };
}
