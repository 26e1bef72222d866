import type { BlobClient } from '@azure/storage-blob';
import { quotedETag, readCapped } from './blobs';
import { storageCallSignal, STORAGE_CALL_TIMEOUT_MS } from './callTimeout';
import { isNotFound, isPreconditionFailed } from './serviceErrors';

/*
 * The one way any reader (prepare, resize, placeholder) reads a source's bytes. A create-only SAS lets a
 * client create a page blob declaring 1 TiB (`x-ms-blob-type: PageBlob`, `x-ms-blob-content-length`) or an
 * append blob as well as a block blob; a GET of such a blob streams zeros for as long as it is declared long.
 * So one HEAD of exactly that version comes first, and the GET that follows asks for exactly the length the
 * HEAD reported (a ranged read), never more than `maxBytes`.
 */

/** The blob types Azure reports in `x-ms-blob-type`; only block blobs are sources. */
export type BlobType = 'BlockBlob' | 'PageBlob' | 'AppendBlob';

export type SourceCheck =
  | { ok: true; contentLength: number; contentType: string | undefined }
  /** `changed`: the blob exists but is no longer that version; `missing`: it is gone. */
  | { ok: false; reason: 'changed' | 'missing' }
  /** A page or append blob (or a type the service did not report): never read. */
  | { ok: false; reason: 'unsupported-blob-type'; blobType: string }
  /** The declared length is more than `maxBytes`. */
  | { ok: false; reason: 'too-large'; bytes: number };

export type SourceRead =
  | { ok: true; data: Buffer; contentType: string | undefined }
  | Exclude<SourceCheck, { ok: true }>
  /** The body ran past the length the HEAD reported (a service that lied): cut off at `maxBytes`. */
  | { ok: false; reason: 'too-large'; bytes: number | undefined };

/**
 * One HEAD of version `eTag` (If-Match): a block blob of at most `maxBytes`, or why not. A conditional HEAD of
 * a deleted blob may answer 412 rather than 404 (Azurite does), so a 412 is told apart with an unconditional one.
 */
export async function checkSource(
  blob: BlobClient,
  eTag: string,
  maxBytes: number,
  timeoutMs: number = STORAGE_CALL_TIMEOUT_MS,
): Promise<SourceCheck> {
  let properties;
  try {
    properties = await blob.getProperties({
      conditions: { ifMatch: quotedETag(eTag) },
      abortSignal: storageCallSignal(timeoutMs),
    });
  } catch (error) {
    if (isNotFound(error)) return { ok: false, reason: 'missing' };
    if (isPreconditionFailed(error)) {
      const exists = await blob
        .getProperties({ abortSignal: storageCallSignal(timeoutMs) })
        .then(() => true)
        .catch((headError: unknown) => {
          if (isNotFound(headError)) return false;
          throw headError;
        });
      return { ok: false, reason: exists ? 'changed' : 'missing' };
    }
    throw error;
  }
  const blobType: string = properties.blobType ?? 'unknown';
  if (blobType !== 'BlockBlob') return { ok: false, reason: 'unsupported-blob-type', blobType };
  const contentLength = properties.contentLength ?? 0;
  if (contentLength > maxBytes) return { ok: false, reason: 'too-large', bytes: contentLength };
  return { ok: true, contentLength, contentType: properties.contentType };
}

/**
 * Reads version `eTag` of a source after `checkSource`: a ranged GET (If-Match) of exactly the length the HEAD
 * reported, its body cut off at `maxBytes` whatever the headers say. The signal bounds each call, body included.
 */
export async function readSource(
  blob: BlobClient,
  eTag: string,
  maxBytes: number,
  timeoutMs: number = STORAGE_CALL_TIMEOUT_MS,
  /** Only the first `count` bytes (enough to sniff the format); the whole blob when it is not longer. */
  count?: number,
): Promise<SourceRead> {
  const checked = await checkSource(blob, eTag, maxBytes, timeoutMs);
  if (!checked.ok) return checked;
  // A range on an empty blob is 416 (InvalidRange): there is nothing to read anyway.
  if (checked.contentLength === 0)
    return { ok: true, data: Buffer.alloc(0), contentType: checked.contentType };
  const length = count === undefined ? checked.contentLength : Math.min(count, checked.contentLength);
  let response;
  try {
    response = await blob.download(0, length, {
      conditions: { ifMatch: quotedETag(eTag) },
      abortSignal: storageCallSignal(timeoutMs),
    });
  } catch (error) {
    // Between the HEAD and the GET a newer version landed or the blob went: ask again which.
    if (isPreconditionFailed(error) || isNotFound(error)) {
      const again = await checkSource(blob, eTag, maxBytes, timeoutMs);
      return again.ok ? { ok: false, reason: 'changed' } : again;
    }
    throw error;
  }
  const body = response.readableStreamBody;
  if (body === undefined) throw new Error('The blob download returned no body stream');
  const data = await readCapped(body, Math.min(maxBytes, length));
  if (data === undefined) return { ok: false, reason: 'too-large', bytes: undefined };
  return { ok: true, data, contentType: response.contentType ?? checked.contentType };
}
