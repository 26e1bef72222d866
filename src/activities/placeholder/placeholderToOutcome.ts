import type { BlobServiceClient } from '@azure/storage-blob';
import { documentIdFor, unquoteETag } from '../../domain/ids';
import type {
  Placeholder,
  PlaceholderActivityInput,
  PlaceholderOutcome,
  SourceRef,
} from '../../domain/types';
import type { DocumentStore } from '../../storage/documentStore';
import { ImageResourceError } from '../../domain/errors';
import type { PlaceholderResult } from '../../imaging';
import type { SourceLimits } from '../../imaging/types';
import type { InvocationLogger } from '../../logging';
import { downloadIntermediate } from '../../storage/intermediateBlob';
import { downloadSource } from '../resize/downloadSource';
import { INTERMEDIATE_HEADER_BYTES } from '../resize/resizeToOutcome';

export interface PlaceholderDeps {
  blobService: BlobServiceClient;
  limits: SourceLimits;
  /** imaging/placeholder's makePlaceholder in production. */
  make: (source: Buffer, limits: SourceLimits) => Promise<PlaceholderResult>;
  /** imaging/placeholder's makePlaceholderFromIntermediate in production. */
  makeFromIntermediate: (intermediate: Buffer) => Promise<PlaceholderResult>;
  /** The documents: a placeholder already recorded for this same version is reused, not decoded again. */
  store?: DocumentStore;
}

/**
 * The placeholder the stored document records for this same source version, if any. A version's bytes never
 * change, so neither does its placeholder: a re-run (reprocess, backfill) with nothing to render decodes nothing.
 */
async function storedPlaceholder(
  source: SourceRef,
  store: DocumentStore | undefined,
): Promise<Placeholder | undefined> {
  if (store === undefined) return undefined;
  const entry = await store.read(documentIdFor(source.container, source.blobName));
  if (entry?.kind !== 'document') return undefined;
  return unquoteETag(entry.document.sourceETag) === unquoteETag(source.eTag)
    ? entry.document.placeholder
    : undefined;
}

/** What made the placeholder's pixels: the run's intermediate, or (none, gone or unreadable) the source. */
async function fromIntermediate(
  input: PlaceholderActivityInput,
  deps: PlaceholderDeps,
  log: InvocationLogger,
): Promise<PlaceholderResult | undefined> {
  const ref = input.intermediate;
  if (ref === undefined) return undefined;
  const maxBytes = ref.width * ref.height * 4 + INTERMEDIATE_HEADER_BYTES;
  const data = await downloadIntermediate(deps.blobService, ref, maxBytes);
  if (data === undefined) {
    log.warn('intermediate gone; the placeholder reads the source', { intermediate: ref.blobName });
    return undefined;
  }
  const made = await deps.makeFromIntermediate(data);
  if (!made.ok) {
    log.warn('intermediate unreadable; the placeholder reads the source', { reason: made.error.message });
    return undefined;
  }
  return made;
}

/**
 * The placeholder of one source version: the one its document already records (fixed per version, whatever
 * this run decodes), else the run's intermediate when it has one (decode once), else download (If-Match, the version the sizes read), tiny decode,
 * ThumbHash and dominant colour. A problem with the file, or a bug, is not `ok`, with the reason (logged): the
 * document is then written without a placeholder. Transient failures (storage, memory) throw so Durable
 * retries; if they outlast the retries the orchestrator leaves the placeholder out too. Nothing here can fail a
 * size.
 */
export async function placeholderToOutcome(
  input: PlaceholderActivityInput,
  deps: PlaceholderDeps,
  log: InvocationLogger,
): Promise<PlaceholderOutcome> {
  // A version's placeholder is fixed once recorded: one made now from this run's intermediate (another
  // resample of the same bytes) would hash differently, and the page's placeholder would change.
  const stored = await storedPlaceholder(input.source, deps.store);
  if (stored !== undefined) {
    log.info('placeholder of this version already stored; not decoded', { ...stored });
    return { ok: true, placeholder: stored };
  }
  // Only ok results come back from the intermediate; anything else reads the source below.
  let made = await fromIntermediate(input, deps, log);
  if (made?.ok) {
    log.info('placeholder made from the intermediate', { ...made.placeholder });
    return { ok: true, placeholder: made.placeholder };
  }
  const downloaded = await downloadSource(deps.blobService, input.source, deps.limits.maxSourceBytes);
  if (!downloaded.ok) {
    log.warn('no placeholder: source not read', {
      code: downloaded.error.code,
      reason: downloaded.error.message,
    });
    return { ok: false, reason: `${downloaded.error.code}: ${downloaded.error.message}` };
  }
  try {
    made = await deps.make(downloaded.data, deps.limits);
  } catch (error) {
    if (error instanceof ImageResourceError) throw error;
    log.error('no placeholder: it threw', { error });
    return { ok: false, reason: `internal: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!made.ok) {
    log.warn('no placeholder: source rejected', { code: made.error.code, reason: made.error.message });
    return { ok: false, reason: `${made.error.code}: ${made.error.message}` };
  }
  log.info('placeholder made', { ...made.placeholder });
  return { ok: true, placeholder: made.placeholder };
}
