import type { Sharp } from 'sharp';
import { JPEG_OUTPUT, PNG_OUTPUT, WEBP_OUTPUT } from '../../src/imaging';
import { encodeAs } from '../../src/imaging/encode';
import type { OutputEncoding } from '../../src/imaging/types';

export type EncoderFormat = 'jpeg' | 'png' | 'webp';

const OUTPUTS: Record<EncoderFormat, OutputEncoding> = {
  jpeg: JPEG_OUTPUT,
  png: PNG_OUTPUT,
  webp: WEBP_OUTPUT,
};

/** The activity path's own encoder (same settings, same flattening), so the floor differs only in decodes. */
export function encodeLike(pipeline: Sharp, format: EncoderFormat): Sharp {
  return encodeAs(pipeline, OUTPUTS[format]);
}

/** Sources keep their format (DESIGN.md): JPEG->JPEG, PNG->PNG, WebP->WebP. */
export function encoderFormatOf(sourceFormat: string): EncoderFormat {
  return sourceFormat === 'png' ? 'png' : sourceFormat === 'webp' ? 'webp' : 'jpeg';
}

/**
 * The replaced job's encoder: JPEG quality 90 with optimised Huffman tables (as the issue describes it); the
 * same quality policy for WebP, and Pillow's default zlib level for PNG (optimize=True would mean level 9).
 */
export const PILLOW_ENCODER = { jpegQuality: 90, webpQuality: 90, pngCompressLevel: 6 } as const;
