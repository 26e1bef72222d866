import type { DecodableFormat, OutputEncoding } from './types';

export const JPEG_OUTPUT: OutputEncoding = Object.freeze({
  format: 'jpeg',
  contentType: 'image/jpeg',
  extension: 'jpg',
});
export const PNG_OUTPUT: OutputEncoding = Object.freeze({
  format: 'png',
  contentType: 'image/png',
  extension: 'png',
});
export const WEBP_OUTPUT: OutputEncoding = Object.freeze({
  format: 'webp',
  contentType: 'image/webp',
  extension: 'webp',
});

/** JPEG, PNG and WebP are web formats already: a derivative keeps the uploader's choice. */
const KEPT_FORMATS: Partial<Record<DecodableFormat, OutputEncoding>> = {
  JPEG: JPEG_OUTPUT,
  PNG: PNG_OUTPUT,
  WEBP: WEBP_OUTPUT,
};

/** The output a source format keeps regardless of its pixels, or undefined when transparency decides. */
export function keptEncoding(source: DecodableFormat): OutputEncoding | undefined {
  return KEPT_FORMATS[source];
}

/**
 * docs/design.md: JPEG→JPEG, PNG→PNG, WebP→WebP; anything else decodable (GIF, TIFF, AVIF, HEIF) → PNG where there
 * is alpha, else JPEG. `hasTransparency` means the derivative's pixels use alpha (see renderDerivative).
 */
export function chooseEncoding(source: DecodableFormat, hasTransparency: boolean): OutputEncoding {
  return keptEncoding(source) ?? (hasTransparency ? PNG_OUTPUT : JPEG_OUTPUT);
}
