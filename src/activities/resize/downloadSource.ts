import type { BlobServiceClient } from '@azure/storage-blob';
import { failure, sourceTooLarge, type Failure } from '../../domain/failure';
import { unquoteETag } from '../../domain/ids';
import type { SourceRef } from '../../domain/types';
import { blobClientOf } from '../../storage/blobs';
import { STORAGE_CALL_TIMEOUT_MS } from '../../storage/callTimeout';
import { readSource } from '../../storage/sourceRead';

export interface DownloadedSource {
  ok: true;
  data: Buffer;
  contentType: string;
}

/**
 * Downloads exactly the version the event announced (If-Match its eTag), so every size comes from one version,
 * and never more than `maxSourceBytes` of it, after one HEAD (storage/sourceRead.ts) says it is a block blob
 * within that limit. A newer upload (`superseded`), a delete (`source-missing`), an oversized blob
 * (`too-large`) and a page or append blob (`unsupported-blob-type`) are failures; anything else, a stalled connection included (`timeoutMs`),
 * throws as transient.
 */
export async function downloadSource(
  blobService: BlobServiceClient,
  source: SourceRef,
  maxSourceBytes: number,
  timeoutMs: number = STORAGE_CALL_TIMEOUT_MS,
  /** Only the first `count` bytes (enough to sniff the format); the whole blob when it is not longer. */
  count?: number,
): Promise<DownloadedSource | Failure> {
  const blob = blobClientOf(blobService, source.container, source.blobName);
  const result = await readSource(blob, source.eTag, maxSourceBytes, timeoutMs, count);
  if (result.ok)
    return { ok: true, data: result.data, contentType: result.contentType ?? source.contentType };
  switch (result.reason) {
    case 'changed':
      return failure(
        'superseded',
        `The source changed after the event (eTag "${unquoteETag(source.eTag)}" no longer matches); a newer upload supersedes it`,
      );
    case 'missing':
      return failure('source-missing', 'The source blob no longer exists');
    case 'unsupported-blob-type':
      return failure(
        'unsupported-blob-type',
        `The source is a ${result.blobType}; only block blobs (Put Blob, Put Block List) are images here`,
      );
    case 'too-large':
      return sourceTooLarge(result.bytes ?? `more than ${maxSourceBytes}`, maxSourceBytes);
  }
}
