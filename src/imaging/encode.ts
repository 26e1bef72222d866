import type { Sharp } from 'sharp';
import { FLATTEN_BACKGROUND, JPEG_SETTINGS, PNG_SETTINGS, WEBP_SETTINGS } from './encoderSettings';
import type { OutputEncoding } from './types';

/**
 * Adds the encoder for `encoding` to a pipeline. JPEG has no alpha channel, so any transparency is flattened
 * onto white first (libvips would otherwise just drop the alpha band, turning transparent pixels into
 * whatever colour they happen to hold, often black). PNG and WebP keep alpha as it is.
 */
export function encodeAs(pipeline: Sharp, encoding: OutputEncoding): Sharp {
  switch (encoding.format) {
    case 'jpeg':
      return pipeline.flatten({ background: FLATTEN_BACKGROUND }).jpeg({ ...JPEG_SETTINGS });
    case 'png':
      return pipeline.png({ ...PNG_SETTINGS });
    case 'webp':
      return pipeline.webp({ ...WEBP_SETTINGS });
  }
}
