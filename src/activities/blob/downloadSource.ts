import type { BlobServiceClient } from '@azure/storage-blob';
import { unquoteETag } from '../../domain/ids';
import type { ErrorCode, SourceRef } from '../../domain/types';
import { isNotFound, isPreconditionFailed } from './restErrors';
import { storageCallSignal, STORAGE_CALL_TIMEOUT_MS } from './storageTimeout';

export interface DownloadedSource {
  ok: true;
  data: Buffer;
  contentType: string;
}

export interface SourceProblem {
  ok: false;
  error: { code: ErrorCode; message: string };
}

/** `"0x8D…"`: If-Match wants the quoted form whatever form the event carried. */
export function quotedETag(eTag: string): string {
  return `"${unquoteETag(eTag)}"`;
}

/** Reads a body stream into memory, refusing to hold more than `limit` bytes whatever the header said. */
async function readCapped(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer | undefined> {
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

function tooLarge(bytes: number | string, maxSourceBytes: number): SourceProblem {
  return {
    ok: false,
    error: {
      code: 'too-large',
      message: `The source is ${bytes} bytes; the limit (MAX_SOURCE_BYTES) is ${maxSourceBytes}`,
    },
  };
}

/**
 * Downloads exactly the version the event announced (If-Match its eTag), so every size comes from one version.
 * The size is checked from the response headers before the body is read, so an oversized blob is never
 * pulled into memory. 412/404 are outcomes (a newer upload or a delete won); other failures, a stalled
 * connection included (`timeoutMs`), throw as transient.
 */
export async function downloadSource(
  blobService: BlobServiceClient,
  source: SourceRef,
  maxSourceBytes: number,
  timeoutMs: number = STORAGE_CALL_TIMEOUT_MS,
): Promise<DownloadedSource | SourceProblem> {
  const blob = blobService.getContainerClient(source.container).getBlobClient(source.blobName);
  const eTag = quotedETag(source.eTag);
  let response;
  try {
    // The signal bounds the whole call, body included (it is read below while the signal is live).
    response = await blob.download(0, undefined, {
      conditions: { ifMatch: eTag },
      abortSignal: storageCallSignal(timeoutMs),
    });
  } catch (error) {
    // A conditional GET on a deleted blob may answer 412 rather than 404 (Azurite does; RFC 9110 allows
    // either), so a 412 is told apart with an unconditional HEAD.
    if (isPreconditionFailed(error) && (await blob.exists({ abortSignal: storageCallSignal(timeoutMs) }))) {
      return {
        ok: false,
        error: {
          code: 'superseded',
          message: `The source changed after the event (eTag ${eTag} no longer matches); a newer upload supersedes it`,
        },
      };
    }
    if (isNotFound(error) || isPreconditionFailed(error)) {
      return { ok: false, error: { code: 'source-missing', message: 'The source blob no longer exists' } };
    }
    throw error;
  }
  const body = response.readableStreamBody;
  const contentLength = response.contentLength ?? 0;
  if (contentLength > maxSourceBytes) {
    (body as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined)?.destroy?.();
    return tooLarge(contentLength, maxSourceBytes);
  }
  if (body === undefined) throw new Error('The blob download returned no body stream');
  const data = await readCapped(body, maxSourceBytes);
  if (data === undefined) return tooLarge(`more than ${maxSourceBytes}`, maxSourceBytes);
  return { ok: true, data, contentType: response.contentType ?? source.contentType };
}
