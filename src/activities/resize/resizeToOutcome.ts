import type { BlobServiceClient } from '@azure/storage-blob';
import { ImageResourceError } from '../../domain/errors';
import { failure, type Failure } from '../../domain/failure';
import type {
  ImageError,
  IntermediateRef,
  ResizeActivityInput,
  ResizeOutcome,
  SizeSpec,
  SourceInfo,
  Variant,
} from '../../domain/types';
import { renderRenditionFromIntermediate } from '../../imaging';
import type { DecodableFormat, RenditionResult, SourceLimits } from '../../imaging/types';
import type { InvocationLogger } from '../../logging';
import { downloadSource } from './downloadSource';
import { downloadIntermediate } from '../../storage/intermediateBlob';
import { uploadDerivative } from './uploadDerivative';
import { storedFormats } from './storedRendition';
import { renditionSpecHash } from '../../domain/renditionSpec';
import { readHeader } from './sourceHeader';

/** Renders every format of one rendition from one decode (imaging/renderRendition in production). */
export type RenderFunction = (
  source: Buffer,
  spec: SizeSpec,
  limits: SourceLimits,
) => Promise<RenditionResult>;

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

/** A failure of the whole label as its outcome, with what it read of the source (for the `failed` document). */
function errorOutcome(label: string, { error, source }: Failure): ResizeOutcome {
  const outcome: ResizeOutcome = { ok: false, label, variants: [], errors: [{ label, ...error }] };
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

async function renderGuarded(render: () => Promise<RenditionResult>): Promise<RenditionResult> {
  try {
    return await render();
  } catch (error) {
    if (error instanceof ImageResourceError) throw error;
    throw new RenderBug(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** The rendition and the source facts it reports, from whichever input the label read. */
interface Rendered {
  result: RenditionResult;
  source: Pick<SourceInfo, 'length' | 'contentType'>;
}

/** Header room of an intermediate beyond its pixels (TIFF header and strip tables). */
export const INTERMEDIATE_HEADER_BYTES = 1024 * 1024;

/**
 * Decode once: every format of the label from the run's intermediate, when it is still there. Gone (a
 * lifecycle rule, a concurrent cleanup) or unreadable, the label falls back to the source, so an intermediate
 * can only save work, never lose a rendition.
 */
async function renderFromIntermediateRef(
  ref: IntermediateRef,
  size: SizeSpec,
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
  const result = await renderGuarded(() => renderRenditionFromIntermediate(data, source, size));
  if (!result.ok) {
    log.warn('intermediate unreadable; reading the source', { reason: result.error.message });
    return undefined;
  }
  log.info('rendered from the intermediate', { intermediate: ref.blobName, bytes: data.length });
  return { result, source: { length: ref.source.length, contentType: ref.source.contentType } };
}

/**
 * The typed note that this version's derivative was rendered with other settings than the label has now: the
 * stored blob is kept (its name is the version's, caches hold it) and the variant describes it. Permanent:
 * a re-run finds the same blob, so only a new label gets the new settings.
 */
function renditionChangedError(label: string, variant: Variant): ImageError {
  return {
    label,
    format: variant.format,
    code: 'rendition-changed',
    message:
      `The settings of "${label}" changed since ${variant.blobName} (${variant.width}x${variant.height}) was ` +
      "written; a version's derivatives are never rewritten, so it is kept. Give the new settings a new label " +
      'and backfill it.',
  };
}

/**
 * The label's outcome from what is stored, when every format it asks for is already there for this version
 * (see `storedLabel`): no decode, no encode, nothing rewritten. Formats stored with other settings keep their
 * blob and carry a `rendition-changed` error, as a render would have ended.
 */
async function storedOutcome(
  input: ResizeActivityInput,
  deps: ResizeDeps,
  /** The source as read (header or intermediate); undefined: as recorded on the stored blobs, unread. */
  known: { format: DecodableFormat; source: SourceInfo } | undefined,
  log: InvocationLogger,
): Promise<ResizeOutcome | undefined> {
  const stored = await storedFormats(deps.derivativeBlobService, {
    processedContainer: deps.processedContainer,
    source: input.source,
    spec: input.size,
    sourceFormat: known?.format,
    now: deps.now(),
    derivativeBaseUrl: deps.derivativeBaseUrl,
  });
  const source =
    known?.source ??
    (stored.source === undefined ? undefined : { ...stored.source, contentType: input.source.contentType });
  if (stored.missing.length > 0 || source === undefined) return undefined;
  const { variants, changed } = stored;
  if (changed.length === 0) {
    log.info('every format already stored with these settings; not rendered', { variants: variants.length });
  } else {
    log.warn('every format already stored, some with other settings; kept, not rendered', {
      changed: changed.map((variant) => variant.blobName),
    });
  }
  const { format, width, height, length, contentType } = source;
  return {
    ok: true,
    label: input.size.label,
    variants,
    errors: changed.map((variant) => renditionChangedError(input.size.label, variant)),
    source: { format, width, height, length, contentType },
  };
}

/**
 * One rendition (label) of one source version: download (If-Match) the source or read the run's
 * intermediate, render all its formats from one decode, upload each, describe each as a variant. A format
 * whose encoder fails is an error with `format`, beside the formats that succeeded. Permanent problems come
 * back as outcomes; anything transient (network, 5xx, throttling, memory) throws so Durable retries it.
 */
export async function resizeToOutcome(
  input: ResizeActivityInput,
  deps: ResizeDeps,
  log: InvocationLogger,
): Promise<ResizeOutcome> {
  const { source, size } = input;
  let rendered: RenditionResult;
  let sourceFacts: Rendered['source'];
  try {
    const ref = input.intermediate;
    // Decided from the derivatives' metadata before any source byte is read: a re-run with nothing to do
    // (reprocess, backfill) downloads nothing.
    const known = ref && { format: ref.source.format as DecodableFormat, source: ref.source };
    const stored = await storedOutcome(input, deps, known, log);
    if (stored !== undefined) return stored;
    const fromIntermediate = ref && (await renderFromIntermediateRef(ref, size, deps, log));
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
      const header = await readHeader(downloaded.data, deps.limits);
      if (header !== undefined) {
        // Blobs written before the source's facts were recorded: decided now that the header is read.
        const facts = { ...header, ...sourceFacts };
        const stored = await storedOutcome(input, deps, { format: header.format, source: facts }, log);
        if (stored !== undefined) return stored;
      }
      rendered = await renderGuarded(() => deps.render(downloaded.data, size, deps.limits));
    }
  } catch (error) {
    // Storage, or the worker out of memory or threads (a busy instance): transient, Durable retries the label.
    if (!(error instanceof RenderBug)) throw error;
    log.error('render threw', { error: error.cause });
    return errorOutcome(size.label, failure('internal', error.message));
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
    const { variant, renditionChanged } = await uploadDerivative(deps.derivativeBlobService, {
      processedContainer: deps.processedContainer,
      source,
      label: size.label,
      specHash: renditionSpecHash(size, derivative.format),
      derivative,
      now: deps.now(),
      derivativeBaseUrl: deps.derivativeBaseUrl,
      sourceFacts: { ...rendered.source, length: sourceFacts.length },
    });
    log.info('derivative uploaded', {
      derivative: variant.blobName,
      format: variant.format,
      width: variant.width,
      height: variant.height,
      bytes: variant.sizeBytes,
    });
    variants.push(variant);
    if (renditionChanged) {
      log.warn('derivative kept with its old settings', { derivative: variant.blobName });
      errors.push(renditionChangedError(size.label, variant));
    }
  }
  const sourceInfo = {
    format: rendered.source.format,
    width: rendered.source.width,
    height: rendered.source.height,
    length: sourceFacts.length,
    contentType: sourceFacts.contentType,
  };
  return variants.length > 0
    ? { ok: true, label: size.label, variants, errors, source: sourceInfo }
    : { ok: false, label: size.label, variants: [], errors, source: sourceInfo };
}
