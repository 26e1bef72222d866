import type { BlobServiceClient } from '@azure/storage-blob';
import { ImageResourceError } from '../../domain/errors';
import { failure, type Failure } from '../../domain/failure';
import type { IntermediateRef, ResizeActivityInput, ResizeOutcome, SourceInfo } from '../../domain/types';
import { renderFromIntermediate } from '../../imaging';
import type { DecodableFormat, RenderResult, SourceLimits } from '../../imaging/types';
import type { InvocationLogger } from '../../logging';
import { downloadSource } from './downloadSource';
import { downloadIntermediate } from '../../storage/intermediateBlob';
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
 * Rendering is pure CPU work on bytes already in memory: a throw (other than running out of memory or threads,
 * `ImageResourceError`, which is transient) would repeat on every retry, so it becomes a permanent `internal`
 * outcome rather than being retried.
 */
class RenderBug extends Error {
  override readonly name = 'RenderBug';
}

async function renderGuarded(render: () => Promise<RenderResult>): Promise<RenderResult> {
  try {
    return await render();
  } catch (error) {
    if (error instanceof ImageResourceError) throw error;
    throw new RenderBug(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** The rendered derivative and the source facts it reports, from whichever input the size read. */
interface Rendered {
  result: RenderResult;
  source: Pick<SourceInfo, 'length' | 'contentType'>;
}

/** Header room of an intermediate beyond its pixels (TIFF header and strip tables). */
const INTERMEDIATE_HEADER_BYTES = 1024 * 1024;

/**
 * Decode once: the run's intermediate, when it is still there. Gone (a lifecycle rule, a concurrent cleanup)
 * or unreadable, the size falls back to the source, so an intermediate can only save work, never lose a size.
 */
async function renderFromIntermediateRef(
  ref: IntermediateRef,
  box: { width: number; height: number },
  deps: ResizeDeps,
  log: InvocationLogger,
): Promise<Rendered | undefined> {
  const maxBytes = ref.width * ref.height * 4 + INTERMEDIATE_HEADER_BYTES;
  const data = await downloadIntermediate(deps.blobService, ref, maxBytes);
  if (data === undefined) {
    log.warn('intermediate gone; reading the source', { intermediate: ref.blobName });
    return undefined;
  }
  const source = { ...ref.source, format: ref.source.format as DecodableFormat };
  const result = await renderGuarded(() => renderFromIntermediate(data, source, box));
  if (!result.ok) {
    log.warn('intermediate unreadable; reading the source', { reason: result.error.message });
    return undefined;
  }
  log.info('rendered from the intermediate', { intermediate: ref.blobName, bytes: data.length });
  return { result, source: { length: ref.source.length, contentType: ref.source.contentType } };
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
  const box = { width: size.width, height: size.height };
  let rendered: RenderResult;
  let sourceFacts: Rendered['source'];
  try {
    const fromIntermediate =
      input.intermediate && (await renderFromIntermediateRef(input.intermediate, box, deps, log));
    if (fromIntermediate) {
      rendered = fromIntermediate.result;
      sourceFacts = fromIntermediate.source;
    } else {
      const downloaded = await downloadSource(deps.blobService, source, deps.limits.maxSourceBytes);
      if (!downloaded.ok) {
        log.warn('source not processed', { code: downloaded.error.code, reason: downloaded.error.message });
        return errorOutcome(size.label, downloaded);
      }
      log.info('source downloaded', { bytes: downloaded.data.length });
      sourceFacts = { length: downloaded.data.length, contentType: downloaded.contentType };
      rendered = await renderGuarded(() => deps.render(downloaded.data, box, deps.limits));
    }
  } catch (error) {
    // Storage, or the worker out of memory or threads (a busy instance): transient, Durable retries the size.
    if (!(error instanceof RenderBug)) throw error;
    log.error('render threw', { error: error.cause });
    return errorOutcome(size.label, failure('internal', error.message));
  }
  if (!rendered.ok) {
    log.warn('source rejected', { code: rendered.error.code, reason: rendered.error.message });
    return errorOutcome(size.label, rendered);
  }

  const { derivative } = rendered;
  const variant = await uploadDerivative(deps.derivativeBlobService, {
    processedContainer: deps.processedContainer,
    source,
    label: size.label,
    derivative,
    now: deps.now(),
    derivativeBaseUrl: deps.derivativeBaseUrl,
  });
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
      length: sourceFacts.length,
      contentType: sourceFacts.contentType,
    },
  };
}
