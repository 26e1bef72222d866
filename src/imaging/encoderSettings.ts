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
 * - WebP quality 80 with effort 2: the same size as the default effort 4 at ~25 % less CPU.
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

export const WEBP_SETTINGS: Readonly<WebpOptions> = Object.freeze({
  quality: 80,
  alphaQuality: 100,
  effort: 2,
  smartSubsample: false,
});

/**
 * AVIF (8-bit, 4:2:0 like the JPEGs): quality 75, effort 2, the measured choice of `npm run bench`'s renditions
 * section (docs/imaging.md "WebP and AVIF"): of quality 50-75 at effort 0/2/4, the one closest to (or above)
 * the SSIM of the JPEG at quality 82 at every size; 12 % fewer bytes than that JPEG over the three default
 * sizes. Effort 4 (libheif's default) cost ~10x the CPU of effort 2 for ~20 % fewer bytes; effort 0 cost
 * ~1/4 of effort 2's CPU for ~8 % more bytes and a lower SSIM.
 */
export const AVIF_SETTINGS: Readonly<AvifOptions> = Object.freeze({
  quality: 75,
  effort: 2,
  chromaSubsampling: '4:2:0',
  bitdepth: 8,
});

/** Background for flattening transparency into formats without alpha: white, as a web page shows it. */
export const FLATTEN_BACKGROUND = Object.freeze({ r: 255, g: 255, b: 255 });
