import { DEFAULT_SIZES } from '../../../src/config/sizes';
import type { ResizeOutcome, SizeSpec, SourceRef } from '../../../src/domain/types';

/** Inputs and results the replay tests share: fixed values, written out, never computed by the code under test. */

/** A 48,213-byte JPEG (1600x1200, per `catOutcome`) at users/42/cat.jpg. */
export const catSource: SourceRef = {
  container: 'images-unprocessed',
  blobName: 'users/42/cat.jpg',
  eTag: '"0x8DCAFE0001"',
  sequencer: '00000000000000000000000000000001',
  contentLength: 48213,
  contentType: 'image/jpeg',
};

/** A copy of the default plan (thumb, medium, large), as a starter puts it in the input. */
export function defaultSizes(): SizeSpec[] {
  return DEFAULT_SIZES.map((size) => ({ ...size }));
}

/** The transient retry policy of an input without a retry plan: 5 attempts, 2 s doubling to at most 30 s. */
export const LEGACY_RETRY = {
  firstRetryIntervalInMilliseconds: 2000,
  maxNumberOfAttempts: 5,
  backoffCoefficient: 2,
  maxRetryIntervalInMilliseconds: 30000,
};

/** A short transient policy for re-drive inputs: 2 attempts, 1 s apart. */
export const TWO_ATTEMPTS = {
  firstRetryIntervalInMilliseconds: 1000,
  maxNumberOfAttempts: 2,
  backoffCoefficient: 1,
  maxRetryIntervalInMilliseconds: 1000,
};

/** 150x150 and 640x640 boxes, `inside`, in the source's format. */
export const thumbSpec = {
  label: 'thumb',
  width: 150,
  height: 150,
  fit: 'inside',
  formats: ['source'],
} satisfies SizeSpec;
export const mediumSpec = {
  label: 'medium',
  width: 640,
  height: 640,
  fit: 'inside',
  formats: ['source'],
} satisfies SizeSpec;

/** The action a `callActivityWithRetry` serializes to (V2 actions: actionType 1). */
export function activityCall(functionName: string, retryOptions: typeof LEGACY_RETRY, input: unknown) {
  return { functionName, actionType: 1, retryOptions, input };
}

/** What a resize activity returns for `catSource` (1600x1200) and `size` (the activity's contract, not computed here). */
export function catOutcome(size: SizeSpec): ResizeOutcome {
  const box = { width: size.width ?? 1600, height: size.height ?? 1200 };
  const width = Math.min(box.width, Math.round((box.height * 4) / 3));
  return {
    ok: true,
    label: size.label,
    variants: [
      {
        label: size.label,
        width,
        height: Math.round((width * 3) / 4),
        contentType: 'image/jpeg',
        format: 'jpeg',
        blobName: `users/42/cat_${size.label}.jpg`,
        url: `http://127.0.0.1:10000/devstoreaccount1/images-processed/users/42/cat_${size.label}.jpg`,
        sizeBytes: 1000 + box.width,
        eTag: `"0x8D${size.label}"`,
        lastModified: '2026-11-24T04:00:05.000Z',
        createdAt: '2026-11-24T04:00:05.000Z',
      },
    ],
    errors: [],
    source: { format: 'JPEG', width: 1600, height: 1200, length: 48213, contentType: 'image/jpeg' },
  };
}
