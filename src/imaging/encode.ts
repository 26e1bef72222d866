import type { Sharp } from 'sharp';
import {
  AVIF_SETTINGS,
  FLATTEN_BACKGROUND,
  JPEG_SETTINGS,
  PNG_SETTINGS,
  WEBP_SETTINGS,
} from './encoderSettings';
import type { OutputEncoding } from './types';

/**
 * Adds the encoder for `encoding` to a pipeline. `quality` (1-100, a rendition's `quality`) replaces the
 * measured default of the lossy encoders (JPEG, WebP, AVIF, each on its own scale); PNG is lossless and
 * ignores it. JPEG has no alpha channel, so any transparency is flattened onto white first (libvips would
 * otherwise just drop the alpha band, turning transparent pixels into whatever colour they happen to hold,
 * often black). PNG, WebP and AVIF keep alpha as it is.
 */
export function encodeAs(pipeline: Sharp, encoding: OutputEncoding, quality?: number): Sharp {
  const override = quality === undefined ? {} : { quality };
  switch (encoding.format) {
    case 'jpeg':
      return pipeline.flatten({ background: FLATTEN_BACKGROUND }).jpeg({ ...JPEG_SETTINGS, ...override });
    case 'png':
      return pipeline.png({ ...PNG_SETTINGS });
    case 'webp':
      return pipeline.webp({ ...WEBP_SETTINGS, ...override });
    case 'avif':
      return pipeline.avif({ ...AVIF_SETTINGS, ...override });
  }
}
