import type { Failure } from '../domain/failure';
import type { OutputFormat } from '../domain/types';

/** Limits checked before any full decode (decompression bombs, oversized uploads). */
export interface SourceLimits {
  maxSourceBytes: number;
  maxSourcePixels: number;
}

export interface Box {
  width: number;
  height: number;
}

/** A derivative ready to upload. */
export interface RenderedDerivative {
  data: Buffer;
  width: number;
  height: number;
  format: OutputFormat;
  contentType: string;
  /** File extension without the dot: `jpg`, `png`, `webp`, `gif`, `avif`. */
  extension: string;
  source: {
    /** Detected from magic bytes (and, for HEIF containers, the primary item): "JPEG", "PNG", "WEBP", "GIF", "AVIF", "HEIC", "TIFF". */
    format: string;
    /** Dimensions as displayed (after EXIF orientation). */
    width: number;
    height: number;
    hasAlpha: boolean;
  };
}

/** Permanent problems with the source are outcomes, never exceptions. */
export type RenderResult = { ok: true; derivative: RenderedDerivative } | Failure;

/**
 * Formats this pipeline decodes, named as `source.format` reports them: sharp's prebuilt libvips, plus HEIC
 * (HEVC-coded HEIF) through libheif in WebAssembly. `HEIF` is a container whose brands name no codec; the
 * header probe reports it as `AVIF` or `HEIC` from its primary item.
 */
export const DECODABLE_FORMATS = ['JPEG', 'PNG', 'WEBP', 'GIF', 'TIFF', 'AVIF', 'HEIC', 'HEIF'] as const;
export type DecodableFormat = (typeof DECODABLE_FORMATS)[number];

/** Image formats recognised by their magic bytes but deliberately not decoded (`unsupported-format`). */
export const UNSUPPORTED_FORMATS = ['BMP', 'PSD', 'ICO', 'JPEG2000', 'JXL', 'SVG', 'PDF'] as const;
export type UnsupportedFormat = (typeof UNSUPPORTED_FORMATS)[number];

/** What the first bytes of a file say it is; names, extensions and declared content types play no part. */
export type DetectedFormat =
  | { kind: 'decodable'; format: DecodableFormat }
  | { kind: 'unsupported'; format: UnsupportedFormat }
  | { kind: 'unknown' };

/** An output format with the HTTP content type and blob-name extension that go with it. */
export interface OutputEncoding {
  format: 'jpeg' | 'png' | 'webp';
  contentType: 'image/jpeg' | 'image/png' | 'image/webp';
  extension: 'jpg' | 'png' | 'webp';
}
