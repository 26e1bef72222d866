import { ConcurrentWriteError } from '../../domain/errors';
import { documentIdFor } from '../../domain/ids';
import { WRITE_ATTEMPTS } from '../../domain/sourceVersion';
import type { ImageDocument, Variant, WriteDocumentInput, WriteDocumentResult } from '../../domain/types';
import { buildImageDocument, documentStatus } from './buildImageDocument';
import type { DocumentStore } from '../../storage/documentStore';
import { decideWrite } from './staleWriteGuard';
import type { DerivativeState } from '../../lifecycle/droppedDerivatives';

export interface WriteDocumentDeps {
  store: DocumentStore;
  /** The source blob's current eTag, undefined when it no longer exists (a HEAD on the images account). */
  currentSourceETag: (input: WriteDocumentInput) => Promise<string | undefined>;
  /** One HEAD of a derivative in the processed container (the derivatives account). */
  derivativeState: (blobName: string) => Promise<DerivativeState>;
  now: () => Date;
  /** `IMAGE_SIZES` and `RETIRED_SIZES` labels, used when the input says `dropsUnlisted`. */
  catalog?: ReadonlySet<string>;
  /** How many read-decide-write rounds to try before giving up (then the activity throws and Durable retries). */
  maxAttempts?: number;
}

/**
 * The document without the variants whose blobs a concurrent cleanup claimed or deleted: each becomes an
 * `internal` error of its (label, format), so the document never names a blob that is gone.
 */
function withoutVanished(document: ImageDocument, vanished: readonly Variant[]): ImageDocument {
  if (vanished.length === 0) return document;
  const names = new Set(vanished.map((variant) => variant.blobName));
  const variants = document.variants.filter((variant) => !names.has(variant.blobName));
  const errors = [
    ...document.errors,
    ...vanished.map((variant) => ({
      label: variant.label,
      format: variant.format,
      code: 'internal' as const,
      message:
        `${variant.blobName} was deleted by a concurrent cleanup of this version (a run with another plan); ` +
        'reprocess the image to make it again',
    })),
  ];
  return { ...document, variants, errors, status: documentStatus(variants, errors) };
}

/**
 * Read, decide, write with the document's ETag; on a concurrent change (412 on replace, 409 on create) the
 * whole round runs again against what is now stored, so the guard always judges the latest document (or
 * tombstone); losing every round throws `ConcurrentWriteError` (Durable retries the activity).
 * Between the read and the conditional write, every blob the new document names that the stored one did not is
 * HEADed: one that is gone or leased (a same-version cleanup claimed it after its own conditional touch of
 * the document, see lifecycle/droppedDerivatives.ts) is not named. Because both sides change the document under
 * If-Match, either the cleanup sees this write's names or this write sees the cleanup's claim.
 * The replaced version's derivatives are not touched here: the orchestration deletes them after a grace
 * period (`replacedVersion` tells it there are some).
 */
export async function writeImageDocumentWithGuard(
  input: WriteDocumentInput,
  deps: WriteDocumentDeps,
): Promise<WriteDocumentResult> {
  const documentId = documentIdFor(input.source.container, input.source.blobName);
  const attempts = deps.maxAttempts ?? WRITE_ATTEMPTS;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const stored = await deps.store.read(documentId);
    const storedDocument = stored?.kind === 'document' ? stored.document : undefined;
    const decision = await decideWrite({
      input,
      existing: stored?.kind === 'tombstone' ? stored.tombstone : storedDocument,
      currentSourceETag: () => deps.currentSourceETag(input),
    });
    if (decision.action === 'skip') return { ok: false, documentId, reason: decision.reason };
    const sameVersion = decision.action === 'merge' ? storedDocument : undefined;
    const built = buildImageDocument({
      input,
      sameVersion,
      createdAt: storedDocument?.createdAt,
      now: deps.now(),
      ...(input.dropsUnlisted === true && deps.catalog !== undefined ? { catalog: deps.catalog } : {}),
    });
    const named = new Set((sameVersion?.variants ?? []).map((variant) => variant.blobName));
    const fresh = built.variants.filter((variant) => !named.has(variant.blobName));
    const states = await Promise.all(fresh.map((variant) => deps.derivativeState(variant.blobName)));
    const document = withoutVanished(
      built,
      fresh.filter((_, index) => states[index] !== 'present'),
    );
    const result =
      stored === undefined
        ? await deps.store.create(document)
        : await deps.store.replace(document, stored.eTag);
    if (result !== 'written') continue;
    const replacedVersion = decision.action === 'write' && storedDocument !== undefined;
    const kept = new Set(document.variants.map((variant) => variant.blobName));
    const droppedVariants = [...named].filter((blobName) => !kept.has(blobName)).length;
    return {
      ok: true,
      documentId,
      status: document.status,
      replacedVersion,
      ...(droppedVariants > 0 ? { droppedVariants } : {}),
    };
  }
  throw new ConcurrentWriteError(`Document ${documentId}`, attempts);
}
