import type { Failure } from '../domain/failure';
import type { ErrorCode, OutputFormat } from '../domain/types';

/** Limits checked before any full decode (decompression bombs, oversized uploads). */
export interface SourceLimits {
  maxSourceBytes: number;
  maxSourcePixels: number;
}

export interface Box {
  width: number;
  height: number;
}

/** One encoded derivative, ready to upload. */
export interface EncodedDerivative {
  data: Buffer;
  width: number;
  height: number;
  format: OutputFormat;
  contentType: string;
  /** File extension without the dot: `jpg`, `png`, `webp`, `avif`. */
  extension: string;
}

/** What the source turned out to be, from its header. */
export interface RenderedSource {
  /** Detected from magic bytes, upper case: "JPEG", "PNG", "WEBP", "GIF", "AVIF", "HEIF", "TIFF". */
  format: string;
  /** Dimensions as displayed (after EXIF orientation). */
  width: number;
  height: number;
  hasAlpha: boolean;
}

/** A derivative ready to upload, with what its source turned out to be. */
export interface RenderedDerivative extends EncodedDerivative {
  source: RenderedSource;
}

/** Resized 8-bit sRGB pixels, interleaved, that every format of a rendition is encoded from. */
export interface RawPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** One format of a rendition: its derivative, or why that format (only) failed. */
export type FormatResult =
  | { ok: true; derivative: EncodedDerivative }
  | { ok: false; format: OutputFormat; error: { code: ErrorCode; message: string } };

/** All formats of one rendition from one decode, or a problem with the source that stopped them all. */
export type RenditionResult = { ok: true; source: RenderedSource; outputs: FormatResult[] } | Failure;

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
  format: 'jpeg' | 'png' | 'webp' | 'avif';
  contentType: 'image/jpeg' | 'image/png' | 'image/webp' | 'image/avif';
  extension: 'jpg' | 'png' | 'webp' | 'avif';
}
