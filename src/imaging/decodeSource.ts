import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { DECODED_PAGE } from './probeHeader';
import type { SourceLimits } from './types';

function decodeOptions(limits: SourceLimits): SharpOptions {
  return {
    // Defence in depth: the header probe already rejected anything over the budget, and libvips enforces the
    // same limit again at decode time (sharp's own default, 268 MP, is far above what we accept).
    limitInputPixels: limits.maxSourcePixels,
    // 'error' aborts on truncated data and real decode errors (a half-uploaded file must not become a
    // half-grey derivative) but tolerates libjpeg/libpng *warnings* such as "extraneous bytes before marker",
    // which many phone and editor JPEGs trigger and which decode fine; the default 'warning' would reject them.
    failOn: 'error',
    // Top-to-bottom streaming decode: libvips holds only the rows the shrink needs, not the whole source
    // (a 90/270 degree orientation buffers the already-shrunk image, never the full-size one).
    sequentialRead: true,
    // The first frame of animated GIF/WebP and multi-page TIFF: the one frame the header budget counted.
    ...DECODED_PAGE,
  };
}

/**
 * The one place the source becomes pixels: decode -> auto-orient, as a lazy sharp pipeline. Every consumer
 * (renditions, placeholder) appends its `resize` directly, which is what lets libvips shrink-on-load (JPEG
 * DCT scaling by 1/2-1/8, WebP scaled decode); nothing here forces a full-size decode. A different input
 * (an intermediate decoded once for all sizes) is swapped in here and nowhere else.
 */
export function decodeSource(source: Buffer, limits: SourceLimits): Sharp {
  return sharp(source, decodeOptions(limits)).autoOrient();
}
