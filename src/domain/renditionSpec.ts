import { createHash } from 'node:crypto';
import type { OutputFormat, SizeSpec } from './types';

/** Hex characters of a rendition spec hash: 48 bits, plenty to tell one label's few settings apart. */
export const RENDITION_SPEC_HASH_LENGTH = 12;

/**
 * A short fingerprint of what decides a derivative's pixels for one (label, format): the box, fit, crop
 * position and, for the lossy formats, quality (PNG is lossless and ignores it, so retuning quality does
 * not mark a PNG changed). Stored as blob metadata at write; a later run of the same source version compares
 * it to tell "already rendered with these settings" from "the label was retuned". Fields are listed
 * explicitly so a new optional field (absent) does not change the hash of existing blobs.
 */
export function renditionSpecHash(spec: SizeSpec, format: OutputFormat): string {
  const facts = [
    spec.fit,
    spec.width ?? '',
    spec.height ?? '',
    spec.position ?? '',
    format === 'png' ? '' : (spec.quality ?? ''),
  ];
  return createHash('sha256')
    .update(JSON.stringify(facts))
    .digest('hex')
    .slice(0, RENDITION_SPEC_HASH_LENGTH);
}
