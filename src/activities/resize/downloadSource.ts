import type { BlobServiceClient } from '@azure/storage-blob';
import { failure, sourceTooLarge, type Failure } from '../../domain/failure';
import { unquoteETag } from '../../domain/ids';
import type { SourceRef } from '../../domain/types';
import { blobClientOf, downloadIfMatch } from '../../storage/blobs';
import { STORAGE_CALL_TIMEOUT_MS } from '../../storage/callTimeout';

export interface DownloadedSource {
  ok: true;
  data: Buffer;
  contentType: string;
}

/**
 * Downloads exactly the version the event announced (If-Match its eTag), so every size comes from one version,
 * and never more than `maxSourceBytes` of it. A newer upload (`superseded`), a delete (`source-missing`) and
 * an oversized blob (`too-large`) are failures; anything else, a stalled connection included (`timeoutMs`),
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
  // A ranged GET of an empty blob is 416 (Azure and Azurite): ask for a range only when the version is longer.
  const range = count !== undefined && source.contentLength > count ? count : undefined;
  const result = await downloadIfMatch(blob, source.eTag, maxSourceBytes, timeoutMs, range);
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
    case 'too-large':
      return sourceTooLarge(result.bytes ?? `more than ${maxSourceBytes}`, maxSourceBytes);
  }
}
