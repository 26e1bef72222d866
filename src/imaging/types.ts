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
    /** Detected from magic bytes, upper case: "JPEG", "PNG", "WEBP", "GIF", "AVIF", "HEIF", "TIFF". */
    format: string;
    /** Dimensions as displayed (after EXIF orientation). */
    width: number;
    height: number;
    hasAlpha: boolean;
  };
}

/** Permanent problems with the source are outcomes, never exceptions. */
export type RenderResult =
  { ok: true; derivative: RenderedDerivative } | { ok: false; error: { code: ErrorCode; message: string } };
