import type { BlobServiceClient } from '@azure/storage-blob';
import { instanceIdFor, unquoteETag } from '../domain/ids';
import { newRunInput } from '../domain/runInput';
import type { HandOffInput, HandOffResult, SourceRef } from '../domain/types';
import { blobClientOf, blobProperties } from '../storage/blobs';
import { startOnce, type InstanceStarter } from '../triggers/startOnce';

/**
 * A run found its source changed after its event (If-Match 412). Either the content was overwritten (that
 * upload raised its own BlobCreated, for the instance of the new eTag) or only properties or metadata were set
 * (no event at all: Azure raises none for Set Blob Properties/Metadata). The two cannot be told apart without
 * the old bytes, and the same step is right for both: the source as it is now is processed by the instance of
 * its CURRENT eTag, started here if nobody started it yet. A content overwrite's own event then finds that
 * instance and starts nothing; a property write gets the processing no event would have started. Exactly one
 * instance per eTag either way. The sequencer is the event's: a lower bound for the current version (it was
 * written at or after that event), which keeps every older event older.
 */
export async function handOffToCurrentVersion(
  input: HandOffInput,
  deps: { blobService: BlobServiceClient; client: InstanceStarter },
): Promise<HandOffResult> {
  const { source } = input.orchestration;
  const properties = await blobProperties(blobClientOf(deps.blobService, source.container, source.blobName));
  if (properties === undefined) return { ok: false, reason: 'source-missing' };
  const eTag = properties.etag ?? '';
  if (unquoteETag(eTag) === unquoteETag(source.eTag)) return { ok: false, reason: 'unchanged' };
  const current: SourceRef = {
    ...source,
    eTag,
    contentLength: properties.contentLength ?? source.contentLength,
    contentType: properties.contentType ?? source.contentType,
  };
  const instanceId = instanceIdFor(source.container, source.blobName, eTag);
  // The handing-off run's plans carry over; the flags are this code's (newRunInput), whatever that run had.
  const { sizes, retry, replacedGraceSeconds } = input.orchestration;
  const started = await startOnce(
    deps.client,
    instanceId,
    newRunInput(current, { sizes, retry, replacedGraceSeconds }),
  );
  return { ok: true, instanceId, started: started.started };
}
