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
import { listLabelBlobs, madeFromVersion, recordedDimensions, recordedSource } from './storedDerivative';
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

/** What a label has stored for this source version: its variants, and those rendered with other settings. */
export interface StoredLabel {
  /** One per requested format, each describing the stored blob. */
  variants: Variant[];
  /** The variants whose recorded `renditionSpecHash` is not the label's now (a subset of `variants`). */
  changed: Variant[];
}

/** What a label has stored, format by format: `storedLabel`'s answer plus the formats not (usably) stored. */
export interface StoredFormats extends StoredLabel {
  /** Requested formats with no blob of this version carrying its dimensions and spec. */
  missing: SizeSpec['formats'];
  /** The source facts recorded on the label's stored blobs of this version (`recordedSource`), if any. */
  source?: { format: DecodableFormat; width: number; height: number; length: number };
}

/**
 * This version's variants of `spec`, when EVERY format it asks for is already stored, made from this source
 * version, with its dimensions and `renditionSpecHash` in the blob's metadata; else undefined and the label is
 * rendered (`storedFormats` gives the partial answer). Decided from one listing, before any decode: a re-run (reprocess, backfill, a retry after a crash)
 * of a label that is done re-records what is stored, and a label whose settings changed since (`changed`)
 * keeps the stored blobs, since a version's derivatives are never rewritten, so rendering it would be thrown
 * away. A blob without a recorded spec (written before it was recorded) is left to the render, which compares
 * its dimensions.
 */
export async function storedLabel(
  derivativeBlobService: BlobServiceClient,
  options: Parameters<typeof storedFormats>[1],
): Promise<StoredLabel | undefined> {
  const { variants, changed, missing } = await storedFormats(derivativeBlobService, options);
  return missing.length > 0 ? undefined : { variants, changed };
}

/** `storedLabel`'s reading for each requested format, whether or not every one is stored (one listing). */
export async function storedFormats(
  derivativeBlobService: BlobServiceClient,
  options: {
    processedContainer: string;
    source: SourceRef;
    spec: SizeSpec;
    /** Undefined: the format recorded on the label's stored blobs (none recorded: every format missing). */
    sourceFormat: DecodableFormat | undefined;
    now: Date;
    derivativeBaseUrl?: string;
  },
): Promise<StoredFormats> {
  const { source, spec, now } = options;
  const container = derivativeBlobService.getContainerClient(options.processedContainer);
  const versionTag = versionTagFor(source.container, source.blobName, source.eTag);
  const stored = await listLabelBlobs(
    container,
    `${derivativePrefix(source.blobName)}${versionTag}/`,
    spec.label,
  );
  const recorded = [...stored.values()]
    .filter((blob) => madeFromVersion(blob, source))
    .map(recordedSource)
    .find((facts) => facts !== undefined);
  const sourceFormat = options.sourceFormat ?? recorded?.format;
  const variants: Variant[] = [];
  const changed: Variant[] = [];
  const missing: SizeSpec['formats'] = [];
  if (sourceFormat === undefined) return { variants, changed, missing: [...spec.formats] };
  for (const requested of spec.formats) {
    const found = candidates(requested, sourceFormat).flatMap((encoding) => {
      const blobName = derivativeBlobName(source.blobName, versionTag, spec.label, encoding.extension);
      const blob = stored.get(blobName);
      if (blob === undefined || !madeFromVersion(blob, source)) return [];
      const recordedSpec = blob.metadata[DERIVATIVE_METADATA.renditionSpec];
      const dimensions = recordedDimensions(blob);
      if (recordedSpec === undefined || dimensions === undefined) return [];
      const url = derivativeUrl(container.getBlobClient(blobName).url, blobName, options.derivativeBaseUrl);
      const variant = variantOf(spec.label, encoding, { ...blob, ...dimensions, blobName, url }, now);
      return [{ variant, same: recordedSpec === renditionSpecHash(spec, encoding.format) }];
    });
    // The one with these settings first, when `source` could have resolved to either of two encodings.
    const entry = found.find((candidate) => candidate.same) ?? found[0];
    if (entry === undefined) {
      missing.push(requested);
      continue;
    }
    if (variants.some((chosen) => chosen.format === entry.variant.format)) continue;
    variants.push(entry.variant);
    if (!entry.same) changed.push(entry.variant);
  }
  return { variants, changed, missing, ...(recorded === undefined ? {} : { source: recorded }) };
}
