import type { BlobServiceClient } from '@azure/storage-blob';
import { ImageResourceError } from '../../domain/errors';
import { failure, type Failure } from '../../domain/failure';
import type { ImageError, ResizeActivityInput, ResizeOutcome, SizeSpec, Variant } from '../../domain/types';
import type { RenditionResult, SourceLimits } from '../../imaging/types';
import type { InvocationLogger } from '../../logging';
import { downloadSource } from './downloadSource';
import { uploadDerivative } from './uploadDerivative';

/** Renders every format of one rendition from one decode (imaging/renderRendition in production). */
export type RenderFunction = (
  source: Buffer,
  spec: SizeSpec,
  limits: SourceLimits,
) => Promise<RenditionResult>;

export interface ResizeDeps {
  blobService: BlobServiceClient;
  processedContainer: string;
  limits: SourceLimits;
  render: RenderFunction;
  now: () => Date;
  /** `DERIVATIVE_BASE_URL` (the delivery host), when set. */
  derivativeBaseUrl?: string;
}

/** A failure of the whole label as its outcome, with what it read of the source (for the `failed` document). */
function errorOutcome(label: string, { error, source }: Failure): ResizeOutcome {
  const outcome: ResizeOutcome = { ok: false, label, variants: [], errors: [{ label, ...error }] };
  return source === undefined ? outcome : { ...outcome, source };
}

/**
 * One rendition (label) of one source version: download (If-Match), render all its formats from one
 * decode, upload each, describe each as a variant. A format that fails (its encoder, or a newer source
 * version owning its blob) is an error with `format`, beside the formats that succeeded. Permanent problems
 * come back as outcomes; anything transient (network, 5xx, throttling, memory) throws so Durable retries it.
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

  let rendered: RenditionResult;
  try {
    rendered = await deps.render(downloaded.data, size, deps.limits);
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

  const variants: Variant[] = [];
  const errors: ImageError[] = [];
  for (const output of rendered.outputs) {
    if (!output.ok) {
      log.warn('format not rendered', {
        format: output.format,
        code: output.error.code,
        reason: output.error.message,
      });
      errors.push({ label: size.label, format: output.format, ...output.error });
      continue;
    }
    const { derivative } = output;
    const upload = await uploadDerivative(deps.blobService, {
      processedContainer: deps.processedContainer,
      source,
      label: size.label,
      derivative,
      now: deps.now(),
      derivativeBaseUrl: deps.derivativeBaseUrl,
    });
    if (!upload.ok) {
      log.warn('derivative not uploaded: a newer source version owns it', { reason: upload.error.message });
      errors.push({ label: size.label, format: derivative.format, ...upload.error });
      continue;
    }
    const { variant } = upload;
    log.info('derivative uploaded', {
      derivative: variant.blobName,
      format: variant.format,
      width: variant.width,
      height: variant.height,
      bytes: variant.sizeBytes,
    });
    variants.push(variant);
  }
  const sourceInfo = {
    format: rendered.source.format,
    width: rendered.source.width,
    height: rendered.source.height,
    length: downloaded.data.length,
    contentType: downloaded.contentType,
  };
  return variants.length > 0
    ? { ok: true, label: size.label, variants, errors, source: sourceInfo }
    : { ok: false, label: size.label, variants: [], errors, source: sourceInfo };
}
