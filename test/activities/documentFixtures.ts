import { randomUUID } from 'node:crypto';
import type { ErrorCode, ProbedSource, ResizeOutcome, SourceRef, Variant } from '../../src/domain/types';

/** A source version as the trigger captures it; unique blob name per call so tests never share a document. */
export function sourceRef(overrides: Partial<SourceRef> = {}): SourceRef {
  return {
    container: 'images-unprocessed',
    blobName: `users/${randomUUID()}/cat.jpg`,
    eTag: '"0x8DC0000000000A1"',
    sequencer: '00000000000000000000000000012a3b0000000000abcdef',
    contentLength: 48_000,
    contentType: 'image/jpeg',
    ...overrides,
  };
}

export function okOutcome(
  label: string,
  width: number,
  height: number,
  eTag = `"0x${label}01"`,
): ResizeOutcome {
  const variant: Variant = {
    label,
    width,
    height,
    contentType: 'image/jpeg',
    format: 'jpeg',
    blobName: `users/42/cat_${label}.jpg`,
    url: `http://127.0.0.1:10000/devstoreaccount1/images-processed/users/42/cat_${label}.jpg`,
    sizeBytes: width * 10,
    eTag,
    lastModified: '2026-11-24T04:00:00.000Z',
    createdAt: '2026-11-24T04:00:01.000Z',
  };
  return {
    ok: true,
    label,
    variants: [variant],
    errors: [],
    source: { format: 'JPEG', width: 2000, height: 1500, length: 48_000, contentType: 'image/jpeg' },
  };
}

export function errorOutcome(
  label: string,
  code: ErrorCode,
  message = `${code} for ${label}`,
  source?: ProbedSource,
): ResizeOutcome {
  const outcome: ResizeOutcome = { ok: false, label, variants: [], errors: [{ label, code, message }] };
  return source === undefined ? outcome : { ...outcome, source };
}
