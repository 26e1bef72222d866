import type { BlobServiceClient } from '@azure/storage-blob';
import { ImageResourceError } from '../../domain/errors';
import { failure, type Failure } from '../../domain/failure';
import type { ResizeActivityInput, ResizeOutcome } from '../../domain/types';
import type { RenderResult, SourceLimits } from '../../imaging/types';
import type { InvocationLogger } from '../../logging';
import { downloadSource } from './downloadSource';
import { uploadDerivative } from './uploadDerivative';

export type RenderFunction = (
  source: Buffer,
  box: { width: number; height: number },
  limits: SourceLimits,
) => Promise<RenderResult>;

export interface ResizeDeps {
  /** The images account: sources (and their current eTag). */
  blobService: BlobServiceClient;
  /** The derivatives account (`getDerivativesBlobService()`): where `processedContainer` lives. */
  derivativeBlobService: BlobServiceClient;
  processedContainer: string;
  limits: SourceLimits;
  render: RenderFunction;
  now: () => Date;
  /** `DERIVATIVE_BASE_URL` (the delivery host), when set. */
  derivativeBaseUrl?: string;
}

/** A failure as this size's outcome, with what it read of the source (for the `failed` document). */
function errorOutcome(label: string, { error, source }: Failure): ResizeOutcome {
  const outcome: ResizeOutcome = { ok: false, label, error: { label, ...error } };
  return source === undefined ? outcome : { ...outcome, source };
}

/**
 * One size of one source version: download (If-Match), render, upload, describe. Permanent problems come
 * back as error outcomes; anything transient (network, 5xx, throttling) throws so Durable retries it.
 */
export async function resizeToOutcome(
  input: ResizeActivityInput,
  deps: ResizeDeps,
  log: InvocationLogger,
): Promise<ResizeOutcome> {
  const { source, size } = input;
  const downloaded = await downloadSource(deps.blobService, source, deps.limits.maxSourceBytes);
  if (!downloaded.ok) {
    log.warn('source not processed', { code: downloaded.error.code, reason: downloaded.error.message });
    return errorOutcome(size.label, downloaded);
  }
  log.info('source downloaded', { bytes: downloaded.data.length });

  let rendered: RenderResult;
  try {
    rendered = await deps.render(downloaded.data, { width: size.width, height: size.height }, deps.limits);
  } catch (error) {
    // The worker ran out of memory or threads (a busy instance): transient, so Durable retries the size.
    if (error instanceof ImageResourceError) throw error;
    // Otherwise rendering is pure CPU work on bytes already in memory: a throw would repeat on every retry,
    // so it is reported as a permanent `internal` outcome rather than retried.
    log.error('render threw', { error });
    const message = error instanceof Error ? error.message : String(error);
    return errorOutcome(size.label, failure('internal', message));
  }
  if (!rendered.ok) {
    log.warn('source rejected', { code: rendered.error.code, reason: rendered.error.message });
    return errorOutcome(size.label, rendered);
  }

  const { derivative } = rendered;
  const upload = await uploadDerivative(deps.blobService, {
    derivativeBlobService: deps.derivativeBlobService,
    processedContainer: deps.processedContainer,
    source,
    label: size.label,
    derivative,
    now: deps.now(),
    derivativeBaseUrl: deps.derivativeBaseUrl,
  });
  if (!upload.ok) {
    log.warn('derivative not uploaded: a newer source version owns it', { reason: upload.error.message });
    return errorOutcome(size.label, upload);
  }
  const { variant } = upload;
  log.info('derivative uploaded', {
    derivative: variant.blobName,
    width: variant.width,
    height: variant.height,
    bytes: variant.sizeBytes,
  });
  return {
    ok: true,
    label: size.label,
    variant,
    source: {
      format: derivative.source.format,
      width: derivative.source.width,
      height: derivative.source.height,
      length: downloaded.data.length,
      contentType: downloaded.contentType,
    },
  };
}
