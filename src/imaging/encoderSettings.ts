import type { AvifOptions, JpegOptions, PngOptions, WebpOptions } from 'sharp';

/*
 * Encoder settings for social-platform derivatives, chosen for bytes-per-quality at low CPU. Measured on a
 * 3000x2000 photo-like JPEG -> 1280 box, one libvips thread (see docs/imaging.md for the table):
 * - JPEG quality 82 is visually clean at display size and ~45 % smaller than quality 90 for the same CPU.
 *   Optimised Huffman tables (+~15 % encode time at 1280, ~15 % smaller) are kept; mozjpeg's trellis
 *   quantisation and scan optimisation are NOT used: ~40 % smaller files but ~2x the CPU of the whole
 *   resize, which would blow the benchmark's CPU budget against Pillow. Baseline, not progressive: progressive
 *   cost ~10 % more CPU for no size gain at these dimensions. 4:2:0 chroma as every camera and CDN uses.
 * - PNG (only for PNG sources and transparent sources): zlib level 3 with adaptive row filtering halves the
 *   size of photographic PNGs versus no filtering at the same CPU as the default level 6 without filtering.
 * - WebP and AVIF: see their settings below (measured by `npm run bench`'s renditions section).
 */
export const JPEG_SETTINGS: Readonly<JpegOptions> = Object.freeze({
  quality: 82,
  progressive: false,
  chromaSubsampling: '4:2:0',
  optimiseCoding: true,
  mozjpeg: false,
  trellisQuantisation: false,
  overshootDeringing: false,
  optimiseScans: false,
});

export const PNG_SETTINGS: Readonly<PngOptions> = Object.freeze({
  compressionLevel: 3,
  adaptiveFiltering: true,
  palette: false,
  progressive: false,
});

/**
 * WebP quality 90, effort 4 (libwebp's default): the measured choice of `npm run bench`'s renditions section
 * (docs/imaging.md "WebP and AVIF"; rule in bench/renditions/measure.ts). No WebP of quality 75-95 within the
 * JPEG's bytes reaches the SSIM of the JPEG at quality 82 at every size; q90 e4 comes closest (~5 % fewer bytes
 * than the JPEG). The JPEG-equal q95 e4 takes twice the JPEG's bytes. Also used when a WebP source keeps its
 * format.
 */
export const WEBP_SETTINGS: Readonly<WebpOptions> = Object.freeze({
  quality: 90,
  alphaQuality: 100,
  effort: 4,
  smartSubsample: false,
});

/**
 * AVIF (8-bit, 4:2:0 like the JPEGs): quality 75, effort 2, the measured choice of `npm run bench`'s renditions
 * section (docs/imaging.md "WebP and AVIF"; rule in bench/renditions/measure.ts): of quality 50-90 at effort
 * 0/2/4 within the 1 s encode budget and the JPEG's bytes, none reaches the SSIM of the JPEG at quality 82 at
 * every size; q75 e2 comes closest (0.0005 below it on the large size, ~12 % fewer bytes). The JPEG-equal
 * settings are q80 e2 (17 % more bytes than the JPEG) and q75 e4 (31 % fewer, but ~3 s of CPU per photo).
 */
export const AVIF_SETTINGS: Readonly<AvifOptions> = Object.freeze({
  quality: 75,
  effort: 2,
  chromaSubsampling: '4:2:0',
  bitdepth: 8,
});

/** Background for flattening transparency into formats without alpha: white, as a web page shows it. */
export const FLATTEN_BACKGROUND = Object.freeze({ r: 255, g: 255, b: 255 });
