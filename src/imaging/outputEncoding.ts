import type { RequestedFormat } from '../domain/types';
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

export const AVIF_OUTPUT: OutputEncoding = Object.freeze({
  format: 'avif',
  contentType: 'image/avif',
  extension: 'avif',
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

const NAMED_OUTPUTS: Record<Exclude<RequestedFormat, 'source'>, OutputEncoding> = {
  jpeg: JPEG_OUTPUT,
  webp: WEBP_OUTPUT,
  avif: AVIF_OUTPUT,
};

/**
 * The encodings a rendition produces, in the order asked: `source` resolves by `chooseEncoding`, the others
 * name their format. A format asked twice, or asked beside the `source` it resolves to (`["source", "jpeg"]`
 * on a JPEG), is produced once, at its first position.
 */
export function resolveFormats(
  requested: readonly RequestedFormat[],
  source: DecodableFormat,
  hasTransparency: boolean,
): OutputEncoding[] {
  const encodings: OutputEncoding[] = [];
  for (const format of requested) {
    const encoding = format === 'source' ? chooseEncoding(source, hasTransparency) : NAMED_OUTPUTS[format];
    if (!encodings.some((chosen) => chosen.format === encoding.format)) encodings.push(encoding);
  }
  return encodings;
}
