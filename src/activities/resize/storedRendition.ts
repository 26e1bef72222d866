import type { BlobServiceClient } from '@azure/storage-blob';
import { derivativeUrl } from '../../domain/blobPath';
import { DERIVATIVE_METADATA, derivativeBlobName, derivativePrefix } from '../../domain/derivativeNames';
import { versionTagFor } from '../../domain/ids';
import { renditionSpecHash } from '../../domain/renditionSpec';
import type { SizeSpec, SourceRef, Variant } from '../../domain/types';
import {
  AVIF_OUTPUT,
  JPEG_OUTPUT,
  keptEncoding,
  PNG_OUTPUT,
  WEBP_OUTPUT,
} from '../../imaging/outputEncoding';
import type { DecodableFormat, OutputEncoding } from '../../imaging/types';
import { listLabelBlobs, madeFromVersion, recordedDimensions } from './storedDerivative';
import { variantOf } from './uploadDerivative';

/**
 * The encodings each requested format may have resolved to, before any pixel is decoded: `source` on a
 * format that is not kept (GIF, TIFF, AVIF, HEIF) becomes PNG or JPEG by the resized pixels' transparency,
 * so either may be the one stored.
 */
function candidates(requested: SizeSpec['formats'][number], sourceFormat: DecodableFormat): OutputEncoding[] {
  switch (requested) {
    case 'source': {
      const kept = keptEncoding(sourceFormat);
      return kept === undefined ? [PNG_OUTPUT, JPEG_OUTPUT] : [kept];
    }
    case 'jpeg':
      return [JPEG_OUTPUT];
    case 'webp':
      return [WEBP_OUTPUT];
    case 'avif':
      return [AVIF_OUTPUT];
  }
}

/**
 * This version's variants of `spec`, when EVERY format it asks for is already stored, made from this source
 * version with these same settings (`renditionSpecHash` and dimensions in the blob's metadata); else
 * undefined and the label is rendered. A re-run (reprocess, backfill, a retry after a crash) of a label
 * that is done thus costs one listing instead of a decode and every encode, and re-records what is stored.
 */
export async function storedRendition(
  derivativeBlobService: BlobServiceClient,
  options: {
    processedContainer: string;
    source: SourceRef;
    spec: SizeSpec;
    sourceFormat: DecodableFormat;
    now: Date;
    derivativeBaseUrl?: string;
  },
): Promise<Variant[] | undefined> {
  const { source, spec, now } = options;
  const container = derivativeBlobService.getContainerClient(options.processedContainer);
  const versionTag = versionTagFor(source.container, source.blobName, source.eTag);
  const stored = await listLabelBlobs(
    container,
    `${derivativePrefix(source.blobName)}${versionTag}/`,
    spec.label,
  );
  const variants: Variant[] = [];
  for (const requested of spec.formats) {
    const found = candidates(requested, options.sourceFormat).flatMap((encoding) => {
      const blobName = derivativeBlobName(source.blobName, versionTag, spec.label, encoding.extension);
      const blob = stored.get(blobName);
      if (blob === undefined || !madeFromVersion(blob, source)) return [];
      if (blob.metadata[DERIVATIVE_METADATA.renditionSpec] !== renditionSpecHash(spec, encoding.format))
        return [];
      const dimensions = recordedDimensions(blob);
      if (dimensions === undefined) return [];
      const url = derivativeUrl(container.getBlobClient(blobName).url, blobName, options.derivativeBaseUrl);
      return [variantOf(spec.label, encoding, { ...blob, ...dimensions, blobName, url }, now)];
    });
    const variant = found[0];
    if (variant === undefined) return undefined;
    if (!variants.some((chosen) => chosen.format === variant.format)) variants.push(variant);
  }
  return variants;
}
