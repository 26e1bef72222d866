import type {
  BlobClient,
  BlobGetPropertiesResponse,
  BlobServiceClient,
  BlockBlobClient,
} from '@azure/storage-blob';
import { unquoteETag } from '../domain/ids';
import { storageCallSignal, STORAGE_CALL_TIMEOUT_MS } from './callTimeout';
import { isConflict, isNotFound, isPreconditionFailed } from './serviceErrors';

/*
 * Blob access with known service answers as results (the way storage-blob's `deleteIfExists` reports a
 * missing blob) and every call bounded by the client-side timeout of callTimeout.ts. Anything else (5xx,
 * throttling, network, the abort) throws and is transient to the caller.
 */

/** `"0x8D…"`: If-Match wants the quoted form whatever form the event or document carried. */
export function quotedETag(eTag: string): string {
  return `"${unquoteETag(eTag)}"`;
}

export function blobClientOf(service: BlobServiceClient, container: string, blobName: string): BlobClient {
  return service.getContainerClient(container).getBlobClient(blobName);
}

/** The blob's properties (a HEAD; no body), or undefined when it does not exist. */
export async function blobProperties(
  blob: BlobClient,
  timeoutMs: number = STORAGE_CALL_TIMEOUT_MS,
): Promise<BlobGetPropertiesResponse | undefined> {
  try {
    return await blob.getProperties({ abortSignal: storageCallSignal(timeoutMs) });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The blob's current eTag as the service reports it (quoted), or undefined when it does not exist. */
export async function currentETag(blob: BlobClient): Promise<string | undefined> {
  return (await blobProperties(blob))?.etag;
}

export type DownloadResult =
  | { ok: true; data: Buffer; contentType: string | undefined }
  /** `changed`: the blob exists but is no longer that version; `missing`: it is gone. */
  | { ok: false; reason: 'changed' | 'missing' }
  /** More than `maxBytes`: `bytes` is the declared length, or undefined when the body ran past the cap. */
  | { ok: false; reason: 'too-large'; bytes: number | undefined };

/** Reads a body stream into memory, refusing to hold more than `limit` bytes whatever the header said. */
export async function readCapped(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.length;
    if (total > limit) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return undefined;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Downloads exactly version `eTag` of a blob (If-Match), at most `maxBytes` of it: the declared length is
 * checked before the body is read, and the body is cut off at the cap whatever the header said. The signal
 * bounds the whole call, body included.
 */
export async function downloadIfMatch(
  blob: BlobClient,
  eTag: string,
  maxBytes: number,
  timeoutMs: number = STORAGE_CALL_TIMEOUT_MS,
  /** Only the first `count` bytes (a ranged GET); `maxBytes` still applies. */
  count?: number,
): Promise<DownloadResult> {
  let response;
  try {
    response = await blob.download(0, count, {
      conditions: { ifMatch: quotedETag(eTag) },
      abortSignal: storageCallSignal(timeoutMs),
    });
  } catch (error) {
    // A conditional GET on a deleted blob may answer 412 rather than 404 (Azurite does; RFC 9110 allows
    // either), so a 412 is told apart with an unconditional HEAD.
    if (isPreconditionFailed(error) && (await blobProperties(blob, timeoutMs)) !== undefined) {
      return { ok: false, reason: 'changed' };
    }
    if (isNotFound(error) || isPreconditionFailed(error)) return { ok: false, reason: 'missing' };
    throw error;
  }
  const body = response.readableStreamBody;
  const contentLength = response.contentLength ?? 0;
  if (contentLength > maxBytes) {
    (body as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined)?.destroy?.();
    return { ok: false, reason: 'too-large', bytes: contentLength };
  }
  if (body === undefined) throw new Error('The blob download returned no body stream');
  const data = await readCapped(body, maxBytes);
  if (data === undefined) return { ok: false, reason: 'too-large', bytes: undefined };
  return { ok: true, data, contentType: response.contentType };
}

/** Create only if absent (If-None-Match: *), or replace exactly the version read (If-Match). */
export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

export interface UploadOptions {
  contentType: string;
  cacheControl: string;
  metadata: Record<string, string>;
}

export type ConditionalUploadResult =
  | { ok: true; eTag: string; lastModified: Date | undefined }
  /** 412 (changed since read) or 409 (created since read): another writer got there; read and decide again. */
  | { ok: false; reason: 'conflict' };

/** One conditional upload of a whole block blob. */
export async function uploadConditionally(
  blob: BlockBlobClient,
  data: Buffer,
  condition: WriteCondition,
  options: UploadOptions,
): Promise<ConditionalUploadResult> {
  try {
    const response = await blob.uploadData(data, {
      abortSignal: storageCallSignal(),
      conditions: condition,
      blobHTTPHeaders: { blobContentType: options.contentType, blobCacheControl: options.cacheControl },
      metadata: options.metadata,
    });
    return { ok: true, eTag: response.etag ?? '', lastModified: response.lastModified };
  } catch (error) {
    if (isPreconditionFailed(error) || isConflict(error)) return { ok: false, reason: 'conflict' };
    throw error;
  }
}

/** `changed`: the blob is no longer the version named (someone wrote a newer one there). */
export type DeleteResult = 'deleted' | 'absent' | 'changed';

/**
 * Deletes a blob only while it still is version `eTag` (If-Match), as `deleteIfExists` does with a condition.
 * `withSnapshots`: its snapshots go too (`x-ms-delete-snapshots: include`); without it a blob that has any is a
 * 409 `SnapshotsPresent`, thrown.
 */
export async function deleteIfUnchanged(
  blob: BlobClient,
  eTag: string,
  options: { withSnapshots?: boolean } = {},
): Promise<DeleteResult> {
  try {
    const response = await blob.deleteIfExists({
      conditions: { ifMatch: eTag },
      abortSignal: storageCallSignal(),
      ...(options.withSnapshots === true ? { deleteSnapshots: 'include' as const } : {}),
    });
    return response.succeeded ? 'deleted' : 'absent';
  } catch (error) {
    // A conditional request on a missing blob may answer 412 rather than 404 (Azurite does; RFC 9110 allows
    // either), so a 412 is told apart with an unconditional HEAD, as in downloadIfMatch.
    if (isPreconditionFailed(error)) return (await blobProperties(blob)) === undefined ? 'absent' : 'changed';
    if (isNotFound(error)) return 'absent';
    throw error;
  }
}

/**
 * Sets blob index tags on version `eTag` of a blob, and only that version. Set Blob Tags takes no eTag
 * condition (only `x-ms-if-tags`; Azurite ignores If-Match on it too), so the version is checked with a HEAD
 * before, and again after: when a new version landed in between, the tags just set are taken off it again.
 * Tags are not content: the eTag and Last-Modified stay and Azure raises no storage event for them.
 * `tags` replaces the blob's whole tag set (at most 10 tags).
 */
export async function setTagsOnVersion(
  blob: BlobClient,
  eTag: string,
  tags: Record<string, string>,
): Promise<'tagged' | 'absent' | 'changed'> {
  const isVersion = async (): Promise<'same' | 'absent' | 'changed'> => {
    const current = await currentETag(blob);
    if (current === undefined) return 'absent';
    return unquoteETag(current) === unquoteETag(eTag) ? 'same' : 'changed';
  };
  const before = await isVersion();
  if (before !== 'same') return before;
  try {
    await blob.setTags(tags, { abortSignal: storageCallSignal() });
  } catch (error) {
    if (isNotFound(error)) return 'absent';
    throw error;
  }
  const after = await isVersion();
  if (after === 'changed') {
    await blob.setTags({}, { abortSignal: storageCallSignal() }).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
  }
  return after === 'same' ? 'tagged' : after;
}

/**
 * The first `length` bytes of exactly version `eTag` of a blob (the whole blob when `length` is undefined or
 * past its end). A changed or missing blob throws: the caller read its properties a moment ago, so that is a
 * race to retry, not a fact.
 */
export async function downloadRange(
  blob: BlobClient,
  eTag: string,
  length: number | undefined,
  timeoutMs: number = STORAGE_CALL_TIMEOUT_MS,
): Promise<Buffer> {
  const response = await blob.download(0, length, {
    conditions: { ifMatch: quotedETag(eTag) },
    abortSignal: storageCallSignal(timeoutMs),
  });
  const body = response.readableStreamBody;
  if (body === undefined) throw new Error('The blob download returned no body stream');
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
