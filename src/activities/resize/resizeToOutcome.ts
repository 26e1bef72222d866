import type { BlobServiceClient } from '@azure/storage-blob';
import type { ErrorCode, ResizeActivityInput, ResizeOutcome } from '../../domain/types';
import { ImageResourceError } from '../../imaging';
import type { RenderResult, SourceLimits } from '../../imaging/types';
import type { InvocationLogger } from '../../logging';
import { downloadSource } from '../blob/downloadSource';
import { uploadDerivative } from '../blob/uploadDerivative';

export type RenderFunction = (
  source: Buffer,
  box: { width: number; height: number },
  limits: SourceLimits,
) => Promise<RenderResult>;

export interface ResizeDeps {
  blobService: BlobServiceClient;
  processedContainer: string;
  limits: SourceLimits;
  render: RenderFunction;
  now: () => Date;
  /** `DERIVATIVE_BASE_URL` (the delivery host), when set. */
  derivativeBaseUrl?: string;
}

function errorOutcome(label: string, code: ErrorCode, message: string): ResizeOutcome {
  return { status: 'error', label, error: { label, code, message } };
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
    return errorOutcome(size.label, downloaded.error.code, downloaded.error.message);
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
    return errorOutcome(size.label, 'internal', error instanceof Error ? error.message : String(error));
  }
  if (!rendered.ok) {
    log.warn('source rejected', { code: rendered.error.code, reason: rendered.error.message });
    return errorOutcome(size.label, rendered.error.code, rendered.error.message);
  }

  const { derivative } = rendered;
  const upload = await uploadDerivative(deps.blobService, {
    processedContainer: deps.processedContainer,
    source,
    label: size.label,
    derivative,
    now: deps.now(),
    derivativeBaseUrl: deps.derivativeBaseUrl,
  });
  if (!upload.uploaded) {
    log.warn('derivative not uploaded: a newer source version owns it', { reason: upload.message });
    return errorOutcome(size.label, 'superseded', upload.message);
  }
  const { variant } = upload;
  log.info('derivative uploaded', {
    derivative: variant.blobName,
    width: variant.width,
    height: variant.height,
    bytes: variant.sizeBytes,
  });
  return {
    status: 'ok',
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
