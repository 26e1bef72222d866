import type { Sharp } from 'sharp';
import {
  JPEG_OUTPUT,
  JPEG_SETTINGS,
  PNG_OUTPUT,
  PNG_SETTINGS,
  WEBP_OUTPUT,
  WEBP_SETTINGS,
} from '../../src/imaging';
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

/** The derivative format of a source format: its own for JPEG/PNG/WebP (docs/design.md), JPEG for an opaque HEIC. */
export function encoderFormatOf(sourceFormat: string): EncoderFormat {
  return sourceFormat === 'png' ? 'png' : sourceFormat === 'webp' ? 'webp' : 'jpeg';
}

/**
 * The replaced job's encoder: JPEG quality 90 with optimised Huffman tables (as the issue describes it); the
 * same quality policy for WebP, and Pillow's default zlib level for PNG (optimize=True would mean level 9).
 */
export const PILLOW_ENCODER: PillowEncoder = {
  jpegQuality: 90,
  webpQuality: 90,
  webpMethod: 4,
  pngCompressLevel: 6,
};

/**
 * Pillow with the activity path's own encoder settings (JPEG quality, WebP quality and effort, zlib level),
 * so the ratio also shows how much of the gap is the encoder settings rather than the pipeline.
 */
export const PILLOW_MATCHED_ENCODER: PillowEncoder = {
  jpegQuality: JPEG_SETTINGS.quality ?? 80,
  webpQuality: WEBP_SETTINGS.quality ?? 80,
  webpMethod: WEBP_SETTINGS.effort ?? 4,
  pngCompressLevel: PNG_SETTINGS.compressionLevel ?? 6,
};

export interface PillowEncoder {
  jpegQuality: number;
  webpQuality: number;
  /** libwebp method 0-6 (sharp calls it effort). */
  webpMethod: number;
  pngCompressLevel: number;
}
